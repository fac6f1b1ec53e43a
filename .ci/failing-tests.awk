# Prints each TAP "not ok" entry of a Node test run with its YAML diagnostics (error, expected, actual, location,
# stack), and nothing else: what .ci/run repeats at the end of a failed run's log.
/^ *not ok / { match($0, /^ */); indent = RLENGTH; keep = 1 }
keep { print }
keep && $0 ~ /^ *\.\.\.$/ { match($0, /^ */); if (RLENGTH == indent + 2) keep = 0 }
