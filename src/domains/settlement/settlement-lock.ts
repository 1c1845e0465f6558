/**
 * The advisory lock of the settlement (settle-month.ts takes it exclusive: settlements share
 * redemptions, rejected payouts and numbers). A subscription plan change takes it shared
 * (subscriptions.ts), so that it never lands between the settlement's reading of the plans and its
 * commit: the period it announces is then the one really invoiced with the new plan.
 */
export const SETTLEMENT_LOCK = 'passnum:settlement';
