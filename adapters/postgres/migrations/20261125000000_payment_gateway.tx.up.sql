-- A booking remembers the gateway (by its name in the deployment) that holds its
-- checkout and payment, so that a refund goes through the gateway that took the
-- payment even after the club has moved to another one.
ALTER TABLE bookings ADD COLUMN payment_gateway text NOT NULL DEFAULT '';
