ALTER TABLE "email_deliveries" DROP CONSTRAINT "email_deliveries_update_id_incident_updates_id_fk";
--> statement-breakpoint
ALTER TABLE "email_deliveries" DROP CONSTRAINT "email_deliveries_incident_id_incidents_id_fk";
--> statement-breakpoint
DROP INDEX "email_deliveries_due_idx";--> statement-breakpoint
DROP INDEX "email_deliveries_batch_idx";--> statement-breakpoint
CREATE INDEX "email_deliveries_fresh_idx" ON "email_deliveries" USING btree ("id") WHERE "email_deliveries"."status" = 'pending' and "email_deliveries"."batch_key" is null;--> statement-breakpoint
CREATE INDEX "email_deliveries_retry_idx" ON "email_deliveries" USING btree ("next_attempt_at","id") WHERE "email_deliveries"."batch_key" is not null and "email_deliveries"."status" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "email_deliveries_batch_idx" ON "email_deliveries" USING btree ("batch_key") WHERE "email_deliveries"."batch_key" is not null;