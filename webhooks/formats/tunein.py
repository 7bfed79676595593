"""TuneIn AIR: the now-playing update of a station's directory page (docs/destinations.md,
"TuneIn").

GET `<WEBHOOKS_TUNEIN_AIR_URL>?partnerId=…&partnerKey=…&id=s…&title=…&artist=…[&album=…]`
once per track, for new tracks only. The partner key is a secret: stored encrypted and
masked in the URL wherever it is shown. TuneIn answers a small OPML document whose
`head/status` mirrors an HTTP status and whose `fault` says what went wrong; a status
other than 200 there is a failure, whatever the HTTP status.
"""

import re
from urllib.parse import urlencode

from webhooks.event_types import NEWTRACK
from webhooks.formats.base import (
    Answer,
    Format,
    FormatProblem,
    RenderedRequest,
    RenderInput,
    Setting,
    Verdict,
    register,
)
from webhooks.policy import Outcome, classify

__all__ = ["TUNEIN"]

STATION_ID = re.compile(r"s\d+")
STATUS = re.compile(r"<status>\s*(\d{3})\s*</status>")
FAULT = re.compile(r"<fault>(.*?)</fault>", re.DOTALL)


def _render(given: RenderInput) -> RenderedRequest:
    settings = given.settings
    for name in ("partner_id", "partner_key"):
        if not settings.get(name):
            raise FormatProblem("TuneIn gives it when the station joins AIR.", setting=name)
    station_id = settings.get("station_id", "")
    if not STATION_ID.fullmatch(station_id):
        raise FormatProblem("TuneIn's station id starts with s (s12345).", setting="station_id")
    track = given.payload["track"]
    if not track.get("title"):
        raise FormatProblem("TuneIn needs the track's title, and this track has none.")
    query = {
        "partnerId": settings["partner_id"],
        "partnerKey": settings["partner_key"],
        "id": station_id,
        "title": track["title"],
        "artist": track.get("artist") or "",
    }
    if track.get("album"):
        query["album"] = track["album"]
    return RenderedRequest(method="GET", url=f"{given.url}?{urlencode(query)}")


def _judge(answer: Answer) -> Verdict | None:
    status = STATUS.search(answer.body)
    if not status or status.group(1) == "200":
        return None
    code = int(status.group(1))
    fault = FAULT.search(answer.body)
    reason = f"TuneIn: {fault.group(1).strip() if fault else f'status {code}'}"
    return Verdict(Outcome.FAILED if 200 <= code < 300 else classify(code, None), reason)


TUNEIN = register(
    Format(
        name="tunein",
        label="TuneIn AIR (now playing)",
        event_types=frozenset({NEWTRACK.name}),
        settings=(
            Setting("partner_id", "Partner id", required=True),
            Setting(
                "partner_key",
                "Partner key",
                kind="secret",
                required=True,
                help="Encrypted at rest, never shown again.",
            ),
            Setting("station_id", "Station id", required=True, help="TuneIn's id: s12345."),
        ),
        url=None,
        service_url_setting="WEBHOOKS_TUNEIN_AIR_URL",
        render=_render,
        judge=_judge,
        help="Updates the station's now playing on TuneIn (new tracks only).",
    )
)
