-- The templates every install starts with (README "Templates"). Fixed ids, so the code can
-- name them (src/server/templates/defaults.ts) and running this twice adds nothing.
-- People may edit or delete them afterwards; this migration never runs again.
INSERT INTO "templates" ("id", "name", "audience", "kind", "title", "status", "body") VALUES
('defaultinvestigatinginternal', 'Investigating (internal)', 'internal', 'incident', 'Incident affecting {{components}}', 'investigating',
'We are investigating an incident affecting {{components}}: {{impact}}. We will post updates by email and on the status page shortly.'),
('defaultinvestigatingexternal', 'Investigating (customers)', 'external', 'incident', 'Investigating issues with {{components}}', 'investigating',
'We are looking into problems with {{components}} and will post updates here soon.'),
('defaultidentifiedinternal', 'Identified (internal)', 'internal', 'incident', '', 'identified',
'We have identified the cause of the incident affecting {{components}} and are working on a fix. Impact: {{impact}}. {{severity}}, ongoing for {{duration}}. Next update by {{next_update}}.'),
('defaultidentifiedexternal', 'Identified (customers)', 'external', 'incident', '', 'identified',
'We have identified the cause of the problems with {{components}} and are working on a fix. We will post another update by {{next_update}}.'),
('defaultmonitoringinternal', 'Monitoring (internal)', 'internal', 'incident', '', 'monitoring',
'A fix for {{components}} is in place and we are watching the results. Impact so far: {{impact}}, for {{duration}}.'),
('defaultmonitoringexternal', 'Monitoring (customers)', 'external', 'incident', '', 'monitoring',
'A fix has been put in place for {{components}} and we are monitoring the results.'),
('defaultresolvedinternal', 'Resolved: recap (internal)', 'internal', 'incident', '', 'resolved',
'The incident affecting {{components}} is resolved.

Impact: {{impact}}
Severity: {{severity}}
Started: {{started_at}}
Duration: {{duration}}
Support cases: {{support_cases}}'),
('defaultresolvedexternal', 'Resolved (customers)', 'external', 'incident', '', 'resolved',
'The problems with {{components}} have been resolved and everything is working normally again. We are sorry for the disruption.'),
('defaultmaintenancescheduledinternal', 'Maintenance scheduled (internal)', 'internal', 'maintenance', 'Maintenance of {{components}}', 'scheduled',
'Planned maintenance of {{components}} from {{scheduled_for}} to {{scheduled_until}}. Customers are told on the status page.'),
('defaultmaintenancescheduledexternal', 'Maintenance scheduled (customers)', 'external', 'maintenance', 'Scheduled maintenance of {{components}}', 'scheduled',
'We will carry out planned maintenance on {{components}} from {{scheduled_for}} to {{scheduled_until}}. It may be briefly unavailable during this window.'),
('defaultmaintenanceinprogressexternal', 'Maintenance in progress (customers)', 'external', 'maintenance', '', 'in_progress',
'The scheduled maintenance of {{components}} is in progress. We will post an update when it is complete.'),
('defaultmaintenancecompletedexternal', 'Maintenance completed (customers)', 'external', 'maintenance', '', 'completed',
'The scheduled maintenance of {{components}} has been completed. Thank you for your patience.')
ON CONFLICT ("id") DO NOTHING;
