-- Weir's metadata store, version 2: leases with fencing tokens, and the try budget of each step.
--
-- A scheduler (or backfill, or `weir runs clear`) works on a run only while it holds the lease of the run's resource
-- (the run_key '<pipeline>@<interval start>', or 'run:<id>' for runs without a key). Taking a lease that is free or
-- expired increments its token; every state write of the run carries the token and is compare-and-set against this
-- table in the same SQL statement, so a holder whose lease was taken over cannot write any more.

create table leases (
  resource   varchar(300) primary key,
  owner      varchar(200) not null,           -- '<host>:<pid>:<random>' of the holder
  token      bigint not null,                 -- fencing token: +1 at every change of holder, never reused
  expires_at bigint not null                  -- epoch milliseconds; 0 when released
);

-- the last try number the current series of tries of a step may reach (retries + 1, extended by `runs clear`
-- and by a graceful stop that interrupted the try); null in rows written before version 2
alter table step_run add column max_tries integer;
