ALTER TABLE "email_deliveries" ADD COLUMN "batch_key" text;--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "signing_secret" text;--> statement-breakpoint
CREATE INDEX "email_deliveries_batch_idx" ON "email_deliveries" USING btree ("batch_key");