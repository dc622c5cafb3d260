-- `batch run` stopped part-way (docs/batch.md, "Interrupting a batch"): a run that gets SIGINT or
-- SIGTERM finishes its rows in flight and marks the batch interrupted; a run that dies without
-- marking it (SIGKILL, a crash, a lost machine) stops beating its heartbeat, and `batch status`
-- shows the batch interrupted (runner gone) once the heartbeat is older than 4 beats.
-- src/engine/batch/batchRecord.ts writes these columns and src/engine/batch/status.ts reads them:
-- change them together.

alter table grant_batches drop constraint grant_batches_status_check;
alter table grant_batches add constraint grant_batches_status_check
  check (status in ('running', 'completed', 'stopped', 'interrupted'));

alter table grant_batches
  -- SIGINT or SIGTERM (the runner marked it), or 'error' (the run failed, e.g. the database went away).
  add column interrupted_by text,
  -- The run in progress: where it runs, how to run it again, and its heartbeat (every heartbeat_ms).
  add column runner_host    text,
  add column runner_pid     int,
  add column runner_cwd     text,
  add column command        text,
  add column heartbeat_ms   int check (heartbeat_ms > 0),
  add column heartbeat_at   timestamptz;
