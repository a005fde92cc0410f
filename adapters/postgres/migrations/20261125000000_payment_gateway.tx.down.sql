ALTER TABLE bookings DROP COLUMN payment_gateway;
