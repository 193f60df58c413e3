CREATE TABLE "alert_mappings" (
	"id" serial PRIMARY KEY NOT NULL,
	"label_name" text NOT NULL,
	"label_value" text NOT NULL,
	"component_id" text NOT NULL,
	"status" text DEFAULT 'major_outage' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_mappings_status_check" CHECK ("alert_mappings"."status" in ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'))
);
--> statement-breakpoint
CREATE TABLE "incident_alerts" (
	"incident_id" text NOT NULL,
	"fingerprint" text NOT NULL,
	"source" text NOT NULL,
	"status" text NOT NULL,
	"name" text,
	"labels" jsonb NOT NULL,
	"annotations" jsonb,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incident_alerts_incident_id_fingerprint_pk" PRIMARY KEY("incident_id","fingerprint")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"actor_name" text,
	"action" text NOT NULL,
	"entity_type" text,
	"entity_id" text,
	"detail" jsonb,
	"ip" text,
	CONSTRAINT "audit_log_actor_type_check" CHECK ("audit_log"."actor_type" in ('user', 'token', 'system', 'webhook'))
);
--> statement-breakpoint
CREATE TABLE "component_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"position" integer DEFAULT 0 NOT NULL,
	"visibility" text DEFAULT 'public' NOT NULL,
	"collapsed" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "component_groups_visibility_check" CHECK ("component_groups"."visibility" in ('public', 'internal'))
);
--> statement-breakpoint
CREATE TABLE "component_status_changes" (
	"id" serial PRIMARY KEY NOT NULL,
	"component_id" text NOT NULL,
	"status" text NOT NULL,
	"previous_status" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"incident_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "component_status_changes_status_check" CHECK ("component_status_changes"."status" in ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'))
);
--> statement-breakpoint
CREATE TABLE "components" (
	"id" text PRIMARY KEY NOT NULL,
	"group_id" text,
	"name" text NOT NULL,
	"description" text,
	"position" integer DEFAULT 0 NOT NULL,
	"visibility" text DEFAULT 'public' NOT NULL,
	"status" text DEFAULT 'operational' NOT NULL,
	"showcase" boolean DEFAULT true NOT NULL,
	"only_show_if_degraded" boolean DEFAULT false NOT NULL,
	"start_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "components_visibility_check" CHECK ("components"."visibility" in ('public', 'internal')),
	CONSTRAINT "components_status_check" CHECK ("components"."status" in ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'))
);
--> statement-breakpoint
CREATE TABLE "email_deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"message_key" text NOT NULL,
	"subscriber_id" text NOT NULL,
	"update_id" text,
	"incident_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"provider_id" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_deliveries_status_check" CHECK ("email_deliveries"."status" in ('pending', 'sending', 'sent', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" serial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"processed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incident_components" (
	"incident_id" text NOT NULL,
	"component_id" text NOT NULL,
	CONSTRAINT "incident_components_incident_id_component_id_pk" PRIMARY KEY("incident_id","component_id")
);
--> statement-breakpoint
CREATE TABLE "incident_update_components" (
	"update_id" text NOT NULL,
	"component_id" text NOT NULL,
	"old_status" text NOT NULL,
	"new_status" text NOT NULL,
	CONSTRAINT "incident_update_components_update_id_component_id_pk" PRIMARY KEY("update_id","component_id"),
	CONSTRAINT "incident_update_components_old_check" CHECK ("incident_update_components"."old_status" in ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),
	CONSTRAINT "incident_update_components_new_check" CHECK ("incident_update_components"."new_status" in ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'))
);
--> statement-breakpoint
CREATE TABLE "incident_updates" (
	"id" text PRIMARY KEY NOT NULL,
	"incident_id" text NOT NULL,
	"status" text NOT NULL,
	"body" text NOT NULL,
	"audience" text DEFAULT 'public' NOT NULL,
	"author_id" text,
	"author_name" text,
	"template_id" text,
	"notify" boolean DEFAULT true NOT NULL,
	"display_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incident_updates_status_check" CHECK ("incident_updates"."status" in ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed')),
	CONSTRAINT "incident_updates_audience_check" CHECK ("incident_updates"."audience" in ('public', 'internal'))
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"number" serial NOT NULL,
	"kind" text DEFAULT 'incident' NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"severity" integer,
	"visibility" text DEFAULT 'public' NOT NULL,
	"source" text DEFAULT 'manual' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"identified_at" timestamp with time zone,
	"monitoring_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"scheduled_for" timestamp with time zone,
	"scheduled_until" timestamp with time zone,
	"auto_start" boolean DEFAULT false NOT NULL,
	"auto_complete" boolean DEFAULT false NOT NULL,
	"notify_scheduled" boolean DEFAULT true NOT NULL,
	"notify_reminder" boolean DEFAULT true NOT NULL,
	"notify_started" boolean DEFAULT true NOT NULL,
	"notify_completed" boolean DEFAULT true NOT NULL,
	"reminder_sent_at" timestamp with time zone,
	"chat_url" text,
	"video_url" text,
	"ticket_url" text,
	"incident_manager_id" text,
	"tech_lead_id" text,
	"comms_lead_id" text,
	"impact_customer" text,
	"impact_visible" text,
	"impact_scope" text,
	"impact_started_at" timestamp with time zone,
	"support_cases" integer,
	"impact_factors" jsonb,
	"recap" text,
	"postmortem" text,
	"postmortem_published_at" timestamp with time zone,
	"alert_key" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incidents_kind_check" CHECK ("incidents"."kind" in ('incident', 'maintenance')),
	CONSTRAINT "incidents_status_check" CHECK ("incidents"."status" in ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed')),
	CONSTRAINT "incidents_severity_check" CHECK ("incidents"."severity" is null or "incidents"."severity" in (1, 2, 3)),
	CONSTRAINT "incidents_visibility_check" CHECK ("incidents"."visibility" in ('public', 'internal')),
	CONSTRAINT "incidents_source_check" CHECK ("incidents"."source" in ('manual', 'api', 'alertmanager', 'grafana', 'demo')),
	CONSTRAINT "incidents_impact_scope_check" CHECK ("incidents"."impact_scope" is null or "incidents"."impact_scope" in ('some', 'all'))
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"page_id" text NOT NULL,
	"page_name" text DEFAULT 'Vigie' NOT NULL,
	"home_url" text,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"locale" text DEFAULT 'en' NOT NULL,
	"email_from" text,
	"severity_definitions" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settings_singleton_check" CHECK ("settings"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "subscriber_components" (
	"subscriber_id" text NOT NULL,
	"component_id" text NOT NULL,
	CONSTRAINT "subscriber_components_subscriber_id_component_id_pk" PRIMARY KEY("subscriber_id","component_id")
);
--> statement-breakpoint
CREATE TABLE "subscribers" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"all_components" boolean DEFAULT true NOT NULL,
	"locale" text,
	"confirmed_at" timestamp with time zone,
	"confirm_token_hash" text,
	"confirm_expires_at" timestamp with time zone,
	"confirm_sent_at" timestamp with time zone,
	"manage_token_hash" text NOT NULL,
	"unsubscribed_at" timestamp with time zone,
	"suppressed_at" timestamp with time zone,
	"suppression_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "templates" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"audience" text NOT NULL,
	"kind" text DEFAULT 'incident' NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"status" text,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "templates_audience_check" CHECK ("templates"."audience" in ('external', 'internal')),
	CONSTRAINT "templates_kind_check" CHECK ("templates"."kind" in ('incident', 'maintenance')),
	CONSTRAINT "templates_status_check" CHECK ("templates"."status" is null or "templates"."status" in ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed'))
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_role_check" CHECK ("api_tokens"."role" in ('viewer', 'responder', 'comms', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ip" text,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"locale" text,
	"failed_logins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role_check" CHECK ("users"."role" in ('viewer', 'responder', 'comms', 'admin'))
);
--> statement-breakpoint
ALTER TABLE "alert_mappings" ADD CONSTRAINT "alert_mappings_component_id_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."components"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_alerts" ADD CONSTRAINT "incident_alerts_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "component_status_changes" ADD CONSTRAINT "component_status_changes_component_id_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."components"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "components" ADD CONSTRAINT "components_group_id_component_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."component_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_update_id_incident_updates_id_fk" FOREIGN KEY ("update_id") REFERENCES "public"."incident_updates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_deliveries" ADD CONSTRAINT "email_deliveries_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_components" ADD CONSTRAINT "incident_components_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_components" ADD CONSTRAINT "incident_components_component_id_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."components"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_update_components" ADD CONSTRAINT "incident_update_components_update_id_incident_updates_id_fk" FOREIGN KEY ("update_id") REFERENCES "public"."incident_updates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_update_components" ADD CONSTRAINT "incident_update_components_component_id_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."components"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_updates" ADD CONSTRAINT "incident_updates_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_updates" ADD CONSTRAINT "incident_updates_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_incident_manager_id_users_id_fk" FOREIGN KEY ("incident_manager_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_tech_lead_id_users_id_fk" FOREIGN KEY ("tech_lead_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_comms_lead_id_users_id_fk" FOREIGN KEY ("comms_lead_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriber_components" ADD CONSTRAINT "subscriber_components_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriber_components" ADD CONSTRAINT "subscriber_components_component_id_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."components"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_mappings_label_idx" ON "alert_mappings" USING btree ("label_name","label_value");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE INDEX "component_status_changes_component_at_idx" ON "component_status_changes" USING btree ("component_id","at");--> statement-breakpoint
CREATE INDEX "component_status_changes_at_idx" ON "component_status_changes" USING btree ("at");--> statement-breakpoint
CREATE INDEX "components_group_position_idx" ON "components" USING btree ("group_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "email_deliveries_message_subscriber_idx" ON "email_deliveries" USING btree ("message_key","subscriber_id");--> statement-breakpoint
CREATE INDEX "email_deliveries_due_idx" ON "email_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "email_deliveries_update_idx" ON "email_deliveries" USING btree ("update_id");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("processed_at","available_at");--> statement-breakpoint
CREATE INDEX "incident_components_component_idx" ON "incident_components" USING btree ("component_id");--> statement-breakpoint
CREATE INDEX "incident_updates_incident_idx" ON "incident_updates" USING btree ("incident_id","display_at");--> statement-breakpoint
CREATE INDEX "incident_updates_display_at_idx" ON "incident_updates" USING btree ("display_at");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_number_idx" ON "incidents" USING btree ("number");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_alert_key_idx" ON "incidents" USING btree ("alert_key");--> statement-breakpoint
CREATE INDEX "incidents_kind_status_idx" ON "incidents" USING btree ("kind","status");--> statement-breakpoint
CREATE INDEX "incidents_started_at_idx" ON "incidents" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "incidents_scheduled_for_idx" ON "incidents" USING btree ("scheduled_for");--> statement-breakpoint
CREATE INDEX "subscriber_components_component_idx" ON "subscriber_components" USING btree ("component_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscribers_email_idx" ON "subscribers" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "subscribers_manage_token_idx" ON "subscribers" USING btree ("manage_token_hash");--> statement-breakpoint
CREATE INDEX "subscribers_confirm_token_idx" ON "subscribers" USING btree ("confirm_token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_idx" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_idx" ON "users" USING btree ("email");