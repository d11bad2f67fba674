/** @cq/notifications: failure notifications (e-mail, webhook). */
export {};
