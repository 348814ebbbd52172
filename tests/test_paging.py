"""One page of a list computed in memory (formutil.page_of), as the pager macro reads it."""

import pytest

from lms.formutil import MAX_PAGE, page_of


@pytest.mark.parametrize(("query", "page", "items", "prev", "next_"), [
    ("", 1, [0, 1, 2], False, True),
    ("?page=2", 2, [3, 4, 5], True, True),
    ("?page=4", 4, [9], True, False),
    ("?page=99", 4, [9], True, False),        # past the end: the last page
    ("?page=-3", 1, [0, 1, 2], False, True),  # junk: the first page
    ("?page=x", 1, [0, 1, 2], False, True),
    (f"?page={MAX_PAGE * 10}", 4, [9], True, False),
])
def test_page_of_clamps_and_slices(app, query, page, items, prev, next_):
    with app.test_request_context("/" + query):
        shown = page_of(list(range(10)), 3)
    assert (shown.page, shown.pages, shown.total) == (page, 4, 10)
    assert list(shown.items) == items
    assert (shown.has_prev, shown.has_next) == (prev, next_)
    assert (shown.prev_num, shown.next_num) == (page - 1, page + 1)


def test_an_empty_list_is_one_empty_page(app):
    with app.test_request_context("/?page=5"):
        shown = page_of([], 50)
    assert (shown.page, shown.pages, list(shown.items)) == (1, 1, [])
