"""The Radio Mast alert body exactly as Radio Mast documents it (docs/payloads.md),
whitespace included: the bytes a Radio Mast webhook sends."""

RADIO_MAST_EXAMPLE = """
{
    "timestamp": 1579728021,
    "summary": "Example FM Alert: Stream 1 is down",
    "event": {
        "type": "down",
        "stream": {
          "id": "6ffd5f90-64dd-421d-b48a-349eee8ca535",
          "name": "Stream 1",
          "listening_url": "http://yourstreamexample.com/mount",
          "silence": true
        },
        "station": {
          "id": "fd75e020-9569-4e9a-af3f-a8e1ea9c87d3",
          "name": "Example FM"
        }
    }
}
"""
