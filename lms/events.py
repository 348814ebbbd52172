"""Signals between features: one feature announces, another reacts, neither imports the other."""

from blinker import Namespace

_signals = Namespace()

# Sent with the user (as sender) when a lesson is completed or an attempt is graded, inside the
# request's transaction: credentials react by awarding what the person has now earned.
learning_progressed = _signals.signal("learning-progressed")
