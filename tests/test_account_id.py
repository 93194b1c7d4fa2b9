"""The account ID field accepts what people paste and explains everything else."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.aws.account import normalise_account_id
from wizard.errors import InputError

digits12 = st.text(alphabet="0123456789", min_size=12, max_size=12)
separator = st.sampled_from(["", " ", "-", "  ", " - ", "\t", "–"])


@given(digits12, st.lists(separator, min_size=13, max_size=13))
def test_twelve_digits_with_any_separators_are_accepted(digits, seps):
    typed = "".join(sep + d for sep, d in zip(seps, digits)) + seps[-1]
    assert normalise_account_id(typed) == digits


@given(st.text(max_size=40))
def test_anything_else_gets_a_specific_message_never_a_crash(text):
    try:
        result = normalise_account_id(text)
    except InputError as err:
        assert err.what.strip()
        return
    assert len(result) == 12 and result.isascii() and result.isdigit()


@given(st.text(alphabet="0123456789", min_size=1, max_size=30).filter(lambda s: len(s) != 12))
def test_wrong_length_says_how_many_digits(digits):
    with pytest.raises(InputError, match=f"this has {len(digits)}"):
        normalise_account_id(digits)


@pytest.mark.parametrize("typed,message", [
    ("", "Enter your AWS account ID"),
    ("1234-5678-901x", "remove 'x'"),
    ("AKIAIOSFODNN7EXAMPLE", "access key ID, not an account ID"),
    ("１２３４５６７８９０１２", "only digits"),  # full-width digits look right but are not
])
def test_specific_messages(typed, message):
    with pytest.raises(InputError, match=message):
        normalise_account_id(typed)


def test_an_arn_gives_its_account():
    assert normalise_account_id("arn:aws:iam::123456789012:root") == "123456789012"
    assert normalise_account_id("arn:aws-us-gov:iam::210987654321:user/alice") == "210987654321"
