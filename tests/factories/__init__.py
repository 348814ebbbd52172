"""Test data builders (CTFd-style generators instead of fixture files), one module per domain:

people    partner companies, people, signing in, API tokens
learning  courses, lessons, progress, quizzes, attempts, credentials, awards
content   a small content tree on disk (course, quiz, tier program) and its import
deals     deals through the service or as rows, and reading them back
assets    sample files of every allowed type, assets published through the service
reports   partners busy with every kind of activity, for the report pages
queries   the SQL statements and parameters a block sends

The builders most tests need are re-exported here.
"""

from tests.factories.people import PASSWORD, csrf_token, login, make_org, make_user, signed_in
from tests.factories.queries import count_queries

__all__ = ["PASSWORD", "count_queries", "csrf_token", "login", "make_org", "make_user",
           "signed_in"]
