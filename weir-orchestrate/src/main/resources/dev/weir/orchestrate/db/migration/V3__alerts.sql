-- Weir's metadata store, version 3: alerts that must be sent once (e.g. 'late' per scheduled interval), even with
-- several schedulers sharing the store: a scheduler sends one only when its insert of the row succeeded
-- ('insert ... on conflict do nothing', the same statement on SQLite and PostgreSQL).

create table alert_sent (
  pipeline       varchar(200) not null,
  event          varchar(20) not null,           -- late
  interval_start varchar(40) not null,           -- ISO-8601 UTC, as in pipeline_run
  sent_at        varchar(40) not null,
  primary key (pipeline, event, interval_start)
);
