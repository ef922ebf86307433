-- Partial of /trail users ({{> users_ranked}}), after its per_action CTE (per user and action: calls, errors):
-- the users ranked by their calls, with their five most frequent actions.
SELECT username, total_events, error_events, distinct_actions, top_actions
FROM (
  SELECT username,
         sum(calls) AS total_events,
         sum(errors) AS error_events,
         count(*) AS distinct_actions,
         array_join(slice(array_agg(eventname || ' (' || CAST(calls AS varchar) || ')' ORDER BY calls DESC, eventname), 1, 5), ', ') AS top_actions,
         row_number() OVER (ORDER BY sum(calls) DESC, username) AS position
  FROM per_action
  GROUP BY username
) AS ranked
WHERE position <= {{top}}
ORDER BY position
