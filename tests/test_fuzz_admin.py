"""Generated query strings and form data against every page of the admin: never a 5xx.

The admin's surface is read from the admin site itself, as the permission matrix does:
every registered model's list (its filters' and fields' lookups with wild values, search,
ordering, page, unknown parameters), its add, change, delete and history pages (the
form's own fields with valid-looking and wild values, inline management forms missing or
wrong, odd object ids, the add form prefilled from its query string), the lists' inline
edits, every action (generated selections, the confirmation step and the follow-up page)
and every other page of the site and its admins (each with the fields its form reads,
generated). A page or site URL missing from `PAGE_FIELDS` fails
`test_the_fuzzing_covers_every_admin_page`. Each runs as a superuser and as a Station
operator (the system tables, superusers only), against objects of the operator's own
station and of another one.

Every example runs in a transaction rolled back after it, so each starts from the same
objects. Hypothesis runs derandomized (`derandomize=True`, no example database): every
run, on every machine and on both databases, tries the same examples, so CI is
deterministic and a failure found once reproduces; new inputs come when the strategies
change. Each test is bounded by a small max_examples: the whole module adds about one
and a half minutes to the SQLite suite (two on PostgreSQL).
"""

from urllib.parse import quote_from_bytes

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db import transaction
from django.urls import URLPattern, reverse
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from stations.permissions import OPERATOR
from tests import factories
from tests.admin_objects import SUPERUSER, SYSTEM_APPS, client_of, object_of
from tests.json_strategies import json_texts, nested_texts

pytestmark = pytest.mark.django_db


def fuzz(max_examples: int):
    return hypothesis_settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


ROLES = [SUPERUSER, OPERATOR]
REGISTERED = {model._meta.label_lower: (model, a) for model, a in admin.site._registry.items()}


def _with_roles(labels) -> list[tuple[str, str]]:
    """Each label with the roles that reach it (the system tables: superusers only)."""
    return [
        (label, role)
        for label in sorted(labels)
        for role in ROLES
        if role == SUPERUSER or label.split(".")[0] not in SYSTEM_APPS
    ]


# -- values -------------------------------------------------------------------------------

WILD_TEXTS = [
    *("", " ", "0", "-0", "-1", "1_000", " 7 ", "0x1F", "1.5", "-1.5e3"),
    *("\u0661\u0662\u0663", "\uff12\uff10\uff12\uff16"),  # digits int() reads too
    *("99999999999999999999", "-9223372036854775809", "9223372036854775808", "1" + "0" * 400),
    *("1e400", "-1e400", "NaN", "nan", "inf", "-Infinity"),
    *("0000-00-00", "0001-01-01", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "10000-01-01"),
    *("2026-02-30", "2026-13-45", "2026-01-26T10:00:00+99:00", "24:00:00", "25:61", "0"),
    *("\ud800", "\udfff", "a\udcffb", "a\x00b", "\x00", "x" * 5000, "é" * 300),
    *("1,2,x", ",", "1,,2", "[]", "{}", "null", "true", "on", "yes", "off"),
    *("(", "[", "*", "%", "\\", "' OR 1=1 --", "\u202e", "\U0001f600" * 50),
]
wild_texts = st.sampled_from(WILD_TEXTS) | st.text(max_size=40) | st.integers().map(str)
overlong_texts = st.sampled_from([256, 1001, 100_000]).map(lambda size: "y" * size)
BAD_URLS = [
    *("http://127.0.0.1:99999/", "http://example.com:-1/", "http://example.com:0/"),
    *("http://[::1", "http://[fe80::1%25eth0]/", "http://a..b/", "http://%zz/", "http:///"),
    *("http://user:pass@/", "ftp://example.com/", "javascript:alert(1)", "//example.com"),
    *("http://" + "a" * 300 + ".com/", "http://xn--/", "http://ex ample.com/", "https://"),
    "http://example.com:65536/",
    "http://1.2.3.4.5/",
    "http://0x7f.1/",
]
json_values = json_texts | nested_texts


def _field_values(field: forms.Field) -> st.SearchStrategy[str | list[str]]:
    """Values for one form field: of its kind, wild, or overlong."""
    values = wild_texts | overlong_texts
    if isinstance(field, forms.JSONField):
        values = json_values | values
    elif isinstance(field, forms.URLField):
        values = st.sampled_from(BAD_URLS) | values
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        choices = [str(value) for value, _ in getattr(field, "choices", [])][:50]
        if choices:
            values = st.sampled_from(choices) | values
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return st.lists(values, max_size=4)
    return values


def _encoded(pairs) -> str:
    """`pairs` as a query string or form body, any text percent-encoded as UTF-8 (lone
    surrogates too, as a browser never would)."""
    return "&".join(
        f"{_percent(name)}={_percent(value)}" for name, values in pairs for value in values
    )


def _percent(text: str) -> str:
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


def _send(client, method: str, url: str, pairs=()):
    """One request, in a transaction rolled back after it; it must not answer 5xx."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(
                "POST", url, _encoded(pairs), content_type="application/x-www-form-urlencoded"
            )
        transaction.set_rollback(True)
    assert response.status_code < 500, (method, url, pairs, response.status_code)
    return response


@pytest.fixture
def stations():
    return factories.StationFactory(name="Own FM"), factories.StationFactory(name="Other FM")


def _objects(label: str, stations) -> tuple:
    return tuple(object_of(label, station) for station in stations)


object_ids = st.integers(min_value=-(2**70), max_value=2**70).map(str) | st.sampled_from(
    ["0", "abc", "1.0", "%00", "\x00", "1 ", "\u0661", "x" * 300]
)


def _ids_of(own, other):
    return st.sampled_from([str(own.pk), str(other.pk)]) | object_ids


# -- lists --------------------------------------------------------------------------------

LIST_PARAMETERS = ["q", "o", "p", "all", "_popup", "_to_field", "_changelist_filters"]
# Values a list's filters take, for queries whose other values are wild.
LIST_VALUES = [
    *("1", "2", "0", "2026", "26", "True", "False", "1,2", "2026-01-26", "2026-01-26 14:00:00"),
    *("pending", "failed", "push", "xtra", "api", "any", "yes", "all", "only", "no", "Own FM"),
]


def _list_parameter_names(model, model_admin) -> list[str]:
    """What a list's query string may name: the lookups (and transforms) of the model's
    fields and of its filters' fields, its simple filters' parameters, and the list's own
    parameters."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    names = set(LIST_PARAMETERS)
    for entry in [*model_admin.list_filter, model_admin.date_hierarchy or ()]:
        if isinstance(entry, type) and issubclass(entry, admin.SimpleListFilter):
            names.add(entry.parameter_name)
        elif entry:
            path = entry[0] if isinstance(entry, tuple) else entry
            fields[path] = get_fields_from_path(model, path)[-1]
    for path, field in fields.items():
        target = field.target_field if field.is_relation else field
        names |= {path, f"{path}__nonsense"}
        names |= {f"{path}__{lookup}" for lookup in target.get_lookups()}
    return sorted(names)


def _list_queries(model, model_admin):
    """One of the list's parameters with a wild or a plain value, up to two more with
    plain values, and now and then an unknown parameter (which alone makes the list
    refuse the query)."""
    names = st.sampled_from(_list_parameter_names(model, model_admin))
    plain = st.sampled_from(LIST_VALUES)
    subject = st.tuples(names, st.lists(wild_texts | plain, min_size=1, max_size=2))
    others = st.lists(st.tuples(names, st.lists(plain, min_size=1, max_size=1)), max_size=2)
    unknown = st.sampled_from([[], [], [], [("nonexistent", ["1"])]])
    return st.tuples(subject, others, unknown).map(lambda q: [q[0], *q[1], *q[2]])


@pytest.mark.parametrize(("label", "role"), _with_roles(REGISTERED))
def test_lists_never_answer_5xx(label, role, stations, django_user_model, client):
    client = client_of(role, stations[0], django_user_model, client)
    model, model_admin = REGISTERED[label]
    _objects(label, stations)
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    @fuzz(max_examples=25)
    @given(data=st.data())
    def example(data):
        query = _encoded(data.draw(_list_queries(model, model_admin)))
        _send(client, "GET", f"{changelist}?{query}")

    example()


# -- forms --------------------------------------------------------------------------------


def _posted(bound: forms.BoundField) -> list[tuple[str, list[str]]]:
    """What a browser posts for a bound field showing its initial value."""
    widget, value = bound.field.widget, bound.value()
    if isinstance(widget, forms.MultiWidget):
        parts = value if isinstance(value, list | tuple) else widget.decompress(value)
        return [
            (bound.html_name + suffix, [str(sub.format_value(part) or "")])
            for suffix, sub, part in zip(widget.widgets_names, widget.widgets, parts, strict=False)
        ]
    if isinstance(widget, forms.CheckboxInput):
        return [(bound.html_name, ["on"])] if value else []
    if isinstance(value, list | tuple):
        return [(bound.html_name, [str(item) for item in value])]
    return [(bound.html_name, ["" if value is None else str(value)])]


def _form_of(client, url: str):
    """The page's form as a browser would post it unchanged (the names of its fields
    with their values, the inlines' management forms included), and its fields."""
    response = client.get(url)
    if response.status_code != 200 or "adminform" not in (response.context or {}):
        return [], {}
    forms_shown = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms_shown += [inline.formset.management_form, *inline.formset.forms]
    return _as_posted(forms_shown)


def _list_edits_of(client, url: str):
    """The list's inline edits (`list_editable`) as a browser would post them unchanged,
    and their fields."""
    response = client.get(url)
    formset = response.context["cl"].formset if response.status_code == 200 else None
    if formset is None:
        return [], {}
    return _as_posted([formset.management_form, *formset.forms])


def _as_posted(forms_shown):
    pairs, fields = [], {}
    for form in forms_shown:
        for bound in form:
            pairs += _posted(bound)
            fields[bound.html_name] = bound.field
    return pairs, fields


@st.composite
def _changed_posts(draw, base: list, fields: dict):
    """`base` with some of its fields dropped or given generated values, some unknown
    fields added, and one of the form's buttons."""
    data = dict(base)
    names = sorted({*data, *fields}) or ["x"]
    for name in draw(st.lists(st.sampled_from(names), max_size=5, unique=True)):
        if draw(st.booleans()) and name in data:
            del data[name]
        else:
            field = fields.get(name, forms.CharField())
            value = draw(_field_values(field))
            data[name] = value if isinstance(value, list) else [value]
    extra = draw(st.lists(st.tuples(wild_texts, st.lists(wild_texts, max_size=2)), max_size=2))
    button = draw(st.sampled_from(["_save", "_continue", "_addanother", "_saveasnew", "post"]))
    return [*data.items(), *extra, (button, ["yes"])]


@pytest.mark.parametrize(("label", "role"), _with_roles(REGISTERED))
def test_forms_never_answer_5xx(label, role, stations, django_user_model, client):
    """Add and change forms posted with generated values (starting from the form as it
    shows the own object), and the change, delete and history pages of odd object ids."""
    client = client_of(role, stations[0], django_user_model, client)
    model, _ = REGISTERED[label]
    own, other = _objects(label, stations)
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    base, fields = _form_of(client, reverse(f"{prefix}_change", args=[own.pk]))

    @fuzz(max_examples=20)
    @given(data=st.data())
    def example(data):
        page = data.draw(st.sampled_from(["add", "change", "delete", "history", "prefilled"]))
        if page in ("add", "prefilled"):
            url = reverse(f"{prefix}_add")
        else:
            object_id = data.draw(_ids_of(own, other))
            assume(object_id.strip("/"))
            url = reverse(f"{prefix}_{page}", args=[object_id])
        if page == "history":
            _send(client, "GET", url)
        elif page == "prefilled":  # the add form's initial values, from the query string
            names = st.sampled_from(sorted(fields) or ["x"])
            query = data.draw(st.lists(st.tuples(names, st.lists(wild_texts, max_size=2))))
            _send(client, "GET", f"{url}?{_encoded(query)}")
        else:
            _send(client, "POST", url, data.draw(_changed_posts(base, fields)))

    example()


LIST_EDITED = sorted(label for label, (_, a) in REGISTERED.items() if a.list_editable)


@pytest.mark.parametrize(("label", "role"), _with_roles(LIST_EDITED))
def test_list_edits_never_answer_5xx(label, role, stations, django_user_model, client):
    """A list's inline edits posted with generated values, row ids of other stations'
    objects, missing and malformed, and management forms missing or wrong."""
    client = client_of(role, stations[0], django_user_model, client)
    model, _ = REGISTERED[label]
    _objects(label, stations)
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    base, fields = _list_edits_of(client, changelist)

    @fuzz(max_examples=15)
    @given(data=st.data())
    def example(data):
        rows = {name: field for name, field in fields.items() if name.endswith("-id")}
        posted = data.draw(_changed_posts(base, fields | rows))
        _send(client, "POST", changelist, [*posted, ("_save", ["Save"])])

    example()


# -- actions ------------------------------------------------------------------------------

ACTIONS = [
    (label, name)
    for label, (_, model_admin) in REGISTERED.items()
    for _, name, _ in model_admin._get_base_actions()
]
WINDOW_FIELDS = ["window_start", "window_end", "start", "preview"]


@pytest.mark.parametrize(
    ("label", "name", "role"),
    [
        (label, name, role)
        for label, name in sorted(ACTIONS)
        for role in ROLES
        if role == SUPERUSER or label.split(".")[0] not in SYSTEM_APPS
    ],
)
def test_actions_never_answer_5xx(label, name, role, stations, django_user_model, client):
    """An action posted with generated selections (own, other, missing and malformed
    ids), with or without its confirmation, and the page it leads to posted with
    generated values."""
    client = client_of(role, stations[0], django_user_model, client)
    model, _ = REGISTERED[label]
    own, other = _objects(label, stations)
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    @fuzz(max_examples=10)
    @given(data=st.data())
    def example(data):
        query = data.draw(st.sampled_from(["", "?deleted=all", "?q=%00", "?p=99999999999"]))
        pairs = [
            ("action", [data.draw(st.sampled_from([name, name, "nonexistent"]) | wild_texts)]),
            ("_selected_action", data.draw(st.lists(_ids_of(own, other), max_size=4))),
            ("select_across", [data.draw(st.sampled_from(["0", "1", "x"]))]),
            ("index", [data.draw(st.sampled_from(["0", "1", "-1", "x"]))]),
        ]
        if data.draw(st.booleans()):
            pairs.append(("post", ["yes"]))
        response = _send(client, "POST", changelist + query, pairs)
        if response.status_code == 302 and "?ids=" in response.url:
            window = [(field, [data.draw(wild_texts)]) for field in WINDOW_FIELDS]
            _send(client, "POST", response.url, data.draw(st.permutations(window)))

    example()


# -- the other pages ----------------------------------------------------------------------

# Each page of the site and its admins beyond the stock ones (list, add, change, delete,
# history): the fields its form or view reads, and the parameters of its URL.
WEBHOOK_FORM = "the webhook form"
PAGE_FIELDS = {
    "webhooks_webhook_send_test": ["event_type"],
    "webhooks_webhook_reveal_secret": [],
    "webhooks_webhook_pause": [],
    "webhooks_webhook_resume": [],
    "webhooks_webhook_duplicate": [],
    "webhooks_webhook_redeliver_failed": ["since"],
    "webhooks_webhook_try_now": [],
    "webhooks_webhook_preview": [WEBHOOK_FORM],
    "webhooks_webhook_preview_existing": [WEBHOOK_FORM],
    "webhooks_webhook_resync": [*WINDOW_FIELDS, "ids"],
    "webhooks_delivery_redeliver": [],
    "webhooks_inboundsource_rotate_token": ["overlap_s"],
    "webhooks_inboundrequest_replay": [],
    "webhooks_inboundrequest_accept_anyway": [],
    **{f"stations_{m}_recover": [] for m in factories.PUSH_MODEL_FACTORIES},
    "auth_user_password_change": ["password1", "password2", "usable_password"],
    "index": [],
    "receiver_guide": [],
    "dashboard_resyncs": [],
    "search": ["s", "extended"],
    "autocomplete": ["term", "app_label", "model_name", "field_name", "page"],
    "jsi18n": [],
    "view_on_site": [],
    "app_list": [],
    "login": ["username", "password", "next"],
    "password_change": ["old_password", "new_password1", "new_password2"],
    "password_change_done": [],
}
# Logging out ends the session the next examples need; it reads no input.
NOT_FUZZED = {"logout"}
STOCK_PAGES = {"changelist", "add", "change", "delete", "history"}


def _pages() -> dict[str, tuple[str, URLPattern]]:
    """Every page beyond the stock ones, by URL name: the model label it belongs to
    ("" for the site's own) and its URL pattern."""
    pages = {
        pattern.name: ("", pattern)
        for pattern in admin.site.get_urls()
        if isinstance(pattern, URLPattern) and pattern.name
    }
    for label, (model, model_admin) in REGISTERED.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            if pattern.name and pattern.name.removeprefix(prefix) not in STOCK_PAGES:
                pages[pattern.name] = (label, pattern)
    return pages


PAGES = _pages()
AUTOCOMPLETE_TARGETS = [
    ("stations", "broadcast", "program"),
    ("stations", "item", "campaign"),
    ("stations", "program", "presenters"),
    ("webhooks", "webhook", "station"),
]


def test_the_fuzzing_covers_every_admin_page():
    assert set(PAGES) - NOT_FUZZED == set(PAGE_FIELDS)


def _page_args(pattern: URLPattern, own, other, data) -> dict[str, str]:
    """Generated values for the URL's parameters: the own or other object's id for
    a `pk`, anything for the rest."""
    if pattern.name == "app_list":
        return {"app_label": data.draw(st.sampled_from(["stations", "webhooks", "auth"]))}
    args = {}
    for name in pattern.pattern.converters:
        values = _ids_of(own, other) if name in ("pk", "object_id") else object_ids
        args[name] = data.draw(values.filter(lambda text: text.strip("/") and "\x00" not in text))
    if "pk" in args:
        args["pk"] = data.draw(st.sampled_from([str(own.pk), str(other.pk)]) | st.integers(0))
    return args


def _page_cases() -> list[tuple[str, str]]:
    return [
        (name, role)
        for name, (label, _) in sorted(PAGES.items())
        if name not in NOT_FUZZED
        for role in ROLES
        if role == SUPERUSER or label.split(".")[0] not in SYSTEM_APPS
    ]


@pytest.mark.parametrize(("name", "role"), _page_cases())
def test_pages_never_answer_5xx(name, role, stations, django_user_model, client):
    client = client_of(role, stations[0], django_user_model, client)
    label, pattern = PAGES[name]
    own, other = _objects(label or "webhooks.webhook", stations)
    if name.endswith("_recover"):
        own.delete()

    @fuzz(max_examples=12)
    @given(data=st.data())
    def example(data):
        url = reverse(f"admin:{name}", kwargs=_page_args(pattern, own, other, data))
        query = []
        pairs = []
        for field in PAGE_FIELDS[name]:
            if field == WEBHOOK_FORM:
                base, fields = _form_of(
                    client, reverse("admin:webhooks_webhook_change", args=[own.pk])
                )
                pairs += data.draw(_changed_posts(base, fields))
            elif field == "ids":
                ids = data.draw(st.lists(_ids_of(own, other), max_size=3))
                query.append(("ids", [",".join(ids)]))
            elif field == "app_label" and name == "autocomplete":
                app, model, target = data.draw(st.sampled_from(AUTOCOMPLETE_TARGETS))
                given_values = {"app_label": app, "model_name": model, "field_name": target}
                for key, value in given_values.items():
                    query.append((key, [data.draw(st.sampled_from([value]) | wild_texts)]))
            elif field not in ("model_name", "field_name"):
                pairs.append((field, [data.draw(wild_texts)]))
        method = data.draw(st.sampled_from(["GET", "POST"]))
        if method == "GET":
            query += pairs
        full_url = f"{url}?{_encoded(query)}" if query else url
        _send(client, method, full_url, pairs)

    example()
