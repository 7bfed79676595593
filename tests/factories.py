from datetime import UTC, datetime, timedelta

import factory

from stations import models


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Station

    name = factory.Sequence(lambda n: f"Station {n} FM")
    short_name = factory.Sequence(lambda n: f"S{n}")


class PresenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Presenter

    station = factory.SubFactory(StationFactory)
    firstname = factory.Faker("first_name")
    lastname = factory.Faker("last_name")
    name = factory.LazyAttribute(lambda o: f"{o.firstname} {o.lastname}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contact

    station = factory.SubFactory(StationFactory)
    firstname = factory.Faker("first_name")
    lastname = factory.Faker("last_name")
    email = factory.Faker("email")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Program

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"Program {n}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Campaign

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"Campaign {n}")
    start = datetime(2026, 1, 26, 0, 0, tzinfo=UTC)
    stop = factory.LazyAttribute(lambda o: o.start + timedelta(days=7))


class BroadcastFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Broadcast

    station = factory.SubFactory(StationFactory)
    program = factory.SubFactory(ProgramFactory, station=factory.SelfAttribute("..station"))
    title = factory.SelfAttribute("program.title")
    start = datetime(2026, 1, 26, 14, 0, tzinfo=UTC)
    stop = factory.LazyAttribute(lambda o: o.start + timedelta(hours=1))


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Item

    station = factory.SubFactory(StationFactory)
    broadcast = factory.SubFactory(BroadcastFactory, station=factory.SelfAttribute("..station"))
    title = "The Beatles - Hey Jude"
    duration = 431
    start = factory.SelfAttribute("broadcast.start")


# The six push models' factories, by model name (RadioManager's `model` in push messages).
PUSH_MODEL_FACTORIES = {
    "program": ProgramFactory,
    "broadcast": BroadcastFactory,
    "item": ItemFactory,
    "presenter": PresenterFactory,
    "contact": ContactFactory,
    "campaign": CampaignFactory,
}


class EncoderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Encoder

    station = factory.SubFactory(StationFactory)
    name = "Main Stream"


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Stream

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"Stream {n}")
    listening_url = "http://127.0.0.1:9/live.mp3"


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "webhooks.Webhook"

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"Receiver {n}")
    url = "http://127.0.0.1:9/hook"
    event_type = "station.studio.newtrack"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    key = "receiver-api-key-123"


class StreamCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StreamCheck

    stream = factory.SubFactory(StreamFactory)
    checked_at = factory.LazyFunction(lambda: datetime.now(UTC))
    is_up = True
    reason = "HTTP 200 OK (audio/mpeg)"
    latency_ms = 42
    source = "monitor"


class AlertPolicyFactory(factory.django.DjangoModelFactory):
    """`streams=[...]` and `contacts=[...]` set the many-to-many fields."""

    class Meta:
        model = "webhooks.AlertPolicy"
        skip_postgeneration_save = True

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"Policy {n}")
    condition = "any"
    grace_minutes = 0
    notify_recovery = True

    @factory.post_generation
    def streams(self, create, extracted, **kwargs):
        if create and extracted:
            self.streams.set(extracted)

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):
        if create and extracted:
            self.contacts.set(extracted)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A saved key; the full key, shown once in real life, is kept on `raw_key`."""

    class Meta:
        model = models.ApiKey

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"Playout {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from stations.api_keys import api_key_issue

        api_key = model_class(*args, **kwargs)
        api_key.raw_key = api_key_issue(api_key)
        api_key.save()
        return api_key


class InboundSourceFactory(factory.django.DjangoModelFactory):
    """An xtra source by default, with the secret xtra would sign with; `relay_to=[...]`
    sets the relay webhooks."""

    class Meta:
        model = "webhooks.InboundSource"
        skip_postgeneration_save = True

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"Sender {n}")
    kind = "xtra"
    secret = "xtra-shared-secret-1"

    @factory.post_generation
    def relay_to(self, create, extracted, **kwargs):
        if create and extracted:
            self.relay_to.set(extracted)
