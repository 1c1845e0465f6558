-- 0008: a provider admin may choose the subscription plan before the first scan.
-- Must run on PostgreSQL 15.
--
-- The row then holds the plan alone: started_on stays null until the first scan is known to the
-- one who writes next (the settlement that first pays the provider, or a later choice), and the
-- subscription still starts at the first scan, its month free. A row without started_on is never
-- invoiced (invoiceDueSubscriptions compares started_on with the month settled).
alter table provider_subscriptions alter column started_on drop not null;
