DROP TABLE sent_messages;
