-- Weir's metadata store, version 4: pool slots counted in the store, so that every process sharing it (schedulers,
-- backfills, triggers) shares each pool's slots. A step holds a row while it runs; the row's holder renews it, and a
-- row whose holder died expires (expires_at, epoch milliseconds). pool_locks has one row per pool, locked while a
-- slot is taken (PostgreSQL: select ... for update; SQLite takes its single write lock anyway).

create table pool_slots (
  pool       varchar(200) not null,
  holder     varchar(300) not null,           -- '<run id>:<step>'
  owner      varchar(200) not null,           -- the process: '<host>:<pid>:<random>'
  expires_at bigint not null,
  primary key (pool, holder)
);

create table pool_locks (
  pool varchar(200) primary key
);
