-- A run started by one process (the command line, a push drain) names that process, so a
-- later run on the same host can tell that it died (kill -9, out of memory, a power cut)
-- and record it as failed instead of leaving it `running` for good. Runs an Airflow DAG
-- spreads over several task processes have no owner: their teardown records their end.
alter table pipeline_runs add column owner_pid integer;

comment on column pipeline_runs.owner_pid is
    'The process that owns a run started from the command line (on host); null for a DAG''s runs, which their teardown finishes.';
