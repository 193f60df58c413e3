import { created, ok, v1Route } from '../../../../server/api/v1.ts';
import { receiveAlerts } from '../../../../server/alerts/service.ts';

/**
 * POST: Alertmanager's webhook (`webhook_configs`: payload version 4, or the older shape
 * without `status` and `fingerprint`), sent with a responder (or higher) API token as `Authorization: Bearer`.
 * Opens or updates the alert group's draft incident (src/server/alerts/service.ts): 201 when
 * it opened one, 200 otherwise; 422 for a payload that can never succeed; 5xx only when a
 * retry may help.
 */
export const ALL = v1Route({
  async POST({ db, principal, body }) {
    const result = await receiveAlerts(db, principal, 'alertmanager', body);
    const reply = { incident_id: result.incidentId, created: result.created, alerts: result.alerts };
    return result.created ? created(reply) : ok(reply);
  },
});
