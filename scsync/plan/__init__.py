"""Planning: diff desired against live state, order and gate the changes, render and apply them."""
