-- Partial {{> in_network}}, used inside {{#each …}}: whether sourceipaddress lies in the network bound to the current
-- element. Only same-family pairs reach contains(): Trino releases before trinodb/trino#18997 (2023) throw "IP address
-- version should be the same" when the network and the address differ in family, and Athena's engine version decides
-- which behaviour a workgroup gets. An IPv4-mapped address (::ffff:a.b.c.d) is IPv4 here, as Trino stores it. Networks
-- arrive normalised (an IPv4 network never contains ':'); a source that is no IP address (a service name) is no match.
(CASE WHEN (strpos({{.}}, ':') > 0)
           = (strpos(sourceipaddress, ':') > 0 AND NOT (lower(sourceipaddress) LIKE '::ffff:%.%'))
      THEN coalesce(contains({{.}}, try_cast(sourceipaddress AS ipaddress)), false)
      ELSE false END)
