-- 110: what an event's confidence means, and so what the dashboards' threshold keeps.
--
-- From analyzer 0.7.0 (`wirewatch-nlp-0.7.0+…`), `events.confidence` is calibrated: the
-- learned event gate's probability that a sentence reports an event is mapped (Platt
-- scaling, fitted on the events the gate emits out of fold on the hand-coded documents) to
-- how often such an event is right, its type included. An event at 0.8 is meant to be right
-- about four times in five; the precision measured per confidence band, cross-validated and
-- on the locked test split, is in docs/benchmarks.md. 070's header promised that events at
-- 0.8 or above are right at least 90% of the time: that was never measured to hold, and it
-- does not hold on unseen documents, so the comments below say what the number is instead.
-- Events stored by earlier analyzers keep their uncalibrated confidence until
-- `wirewatch reprocess --stage analyze` rewrites them.
-- Applied once by pipeline.store.migrations in one transaction; never edit after release.

comment on column events.confidence is
    'How often an event like this is right, type included (0 to 1): the event gate''s probability, calibrated on coded documents from analyzer 0.7.0; see docs/benchmarks.md for the precision per band.';

comment on function wirewatch_dashboard_min_confidence() is
    'Events with confidence below this value (default 0.8: events expected to be right about four times in five) are left out of the dashboard views; replace the function and refresh the dashboards to change it.';
