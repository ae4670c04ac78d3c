"""Locust load test of a running hawiya server over gRPC.

One user class, ``HawiyaUser``, mixes what programmes and registration desks do:

* unary ``Authenticate`` (weight 20): 80 % genuine claims (a person's own details → YES), 15 %
  wrong details (birth year off by one → NO), 5 % unknown IDCS (well-formed, not in the register
  → NO), under the name match modes of ``--hawiya-modes``;
* ``AuthenticateStream`` (weight 1): a batch of ``--hawiya-stream-batch`` claims of the same mix
  on one bidirectional stream;
* ``Registry/Enrol`` (weight 2): a new synthetic person with a fresh idempotency key.

Every call is reported to Locust's ``request`` event under its gRPC method name with its
response time and, if it failed, the exception: a gRPC error, or ``WrongAnswer`` when the
decision is not the one the claim's kind calls for. Each streamed item is also reported, as
``…/AuthenticateStream item`` (time from sending the item to receiving its answer), so the item
rate and item latency appear beside the per-stream figures.

The test population: at test start the locustfile enrols ``--hawiya-population`` seeded
synthetic persons through ``Registry/Enrol`` (idempotency keys derived from ``--hawiya-seed``, so
a second run finds the same persons and IDCS instead of adding new ones) and keeps their IDCS and
details in memory. The caller's key therefore needs ``Authentication/*`` and ``Registry/Enrol``;
``hawiya serve --demo``'s demo caller has both.

    locust -f benchmarks/locustfile.py --headless -u 20 -r 5 -t 60s --host 127.0.0.1:50051 \\
        --hawiya-api-key-file hawiya-data/demo-api-key
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User, between, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner

# gRPC's own threads must cooperate with gevent's (Locust's) event loop; before any channel exists.
grpc_gevent.init_gevent()

from claims import CLAIM_KINDS, Claim, Enrolled, claim, enrol_population, enrol_request, synthetic_demographics  # noqa: E402

from hawiya.v1 import (  # noqa: E402
    authentication_pb2,
    authentication_pb2_grpc,
    person_pb2,
    registry_pb2,
    registry_pb2_grpc,
)

log = logging.getLogger("hawiya.locust")

AUTHENTICATE = "hawiya.v1.Authentication/Authenticate"
AUTHENTICATE_STREAM = "hawiya.v1.Authentication/AuthenticateStream"
STREAM_ITEM = "hawiya.v1.Authentication/AuthenticateStream item"
ENROL = "hawiya.v1.Registry/Enrol"
CLAIM_WEIGHTS = {"genuine": 0.80, "wrong": 0.15, "unknown": 0.05}
ENROL_POOL = 5000  # synthetic persons the Enrol task cycles through (each call is a new enrolment)


# Items per stream message (gRPC costs per message, hawiya per item).
_STREAM_CHUNK = 50


class WrongAnswer(Exception):
    """The server answered, but not what the claim's kind calls for."""


@dataclass
class _Shared:
    """What every user of this process shares, filled at test start."""

    api_key: str = ""
    population: list[Enrolled] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    modes: list[str] = field(default_factory=list)
    batch: int = 100
    enrol_pool: list[person_pb2.Demographics] = field(default_factory=list)
    enrol_next: Iterator[int] = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)


_SHARED = _Shared()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("hawiya")
    group.add_argument(
        "--hawiya-api-key", env_var="LOCUST_HAWIYA_API_KEY", default="", help="the caller's API key (x-api-key)"
    )
    group.add_argument(
        "--hawiya-api-key-file",
        env_var="LOCUST_HAWIYA_API_KEY_FILE",
        default="",
        help="a file holding the API key, e.g. DATA_DIR/demo-api-key",
    )
    group.add_argument(
        "--hawiya-population",
        type=int,
        env_var="LOCUST_HAWIYA_POPULATION",
        default=500,
        help="synthetic persons to enrol (idempotently) at test start and authenticate",
    )
    group.add_argument(
        "--hawiya-seed", type=int, env_var="LOCUST_HAWIYA_SEED", default=20261201, help="seed of the population"
    )
    group.add_argument(
        "--hawiya-stream-batch",
        type=int,
        env_var="LOCUST_HAWIYA_STREAM_BATCH",
        default=100,
        help="items per AuthenticateStream call",
    )
    group.add_argument(
        "--hawiya-modes",
        env_var="LOCUST_HAWIYA_MODES",
        default="DEFAULT,PHONETIC,FUZZY",
        help="name match modes to use, comma-separated (DEFAULT = the caller's default)",
    )


def _api_key(options: Any) -> str:
    if options.hawiya_api_key:
        return str(options.hawiya_api_key)
    if options.hawiya_api_key_file:
        return Path(options.hawiya_api_key_file).read_text(encoding="ascii").strip()
    return ""


@events.test_start.add_listener
def _prepare(environment: Environment, **_kwargs: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        return  # the workers enrol and load the population
    options = environment.parsed_options
    _SHARED.api_key = _api_key(options)
    if not _SHARED.api_key:
        raise SystemExit("hawiya locustfile: give --hawiya-api-key or --hawiya-api-key-file")
    _SHARED.modes = [m.strip().upper() for m in options.hawiya_modes.split(",") if m.strip()]
    _SHARED.batch = options.hawiya_stream_batch
    began = time.perf_counter()
    with grpc.insecure_channel(environment.host) as channel:
        _SHARED.population = enrol_population(channel, _SHARED.api_key, options.hawiya_population, options.hawiya_seed)
    _SHARED.known = {p.idcs for p in _SHARED.population}
    _SHARED.enrol_pool = [d for _, d in synthetic_demographics(ENROL_POOL, options.hawiya_seed + 1)]
    log.info(
        "hawiya: %d persons enrolled or found in %.1f s; %d more ready for the Enrol task",
        len(_SHARED.population),
        time.perf_counter() - began,
        len(_SHARED.enrol_pool),
    )


class HawiyaUser(User):
    """A programme authenticating beneficiaries, re-verifying lists, and a desk enrolling."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        if not _SHARED.population:
            raise StopUser()
        self._channel = grpc.insecure_channel(self.host)
        self._auth = authentication_pb2_grpc.AuthenticationStub(self._channel)
        self._registry = registry_pb2_grpc.RegistryStub(self._channel)
        self._metadata = (("x-api-key", _SHARED.api_key),)
        self._rng = random.Random()

    def on_stop(self) -> None:
        self._channel.close()

    @contextmanager
    def _measured(self, name: str) -> Iterator[dict[str, Any]]:
        """Time the block and report it to Locust: a gRPC error or WrongAnswer marks it failed."""
        outcome: dict[str, Any] = {"length": 0, "response": None}
        start = time.perf_counter()
        exception: Exception | None = None
        try:
            yield outcome
        except (grpc.RpcError, WrongAnswer) as exc:
            exception = exc
        self.environment.events.request.fire(
            request_type="grpc",
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=outcome["length"],
            response=outcome["response"],
            context={},
            exception=exception,
        )

    def _claim(self) -> Claim:
        kind = self._rng.choices(CLAIM_KINDS, weights=[CLAIM_WEIGHTS[k] for k in CLAIM_KINDS])[0]
        return claim(kind, _SHARED.population, self._rng, _SHARED.known, self._rng.choice(_SHARED.modes))

    @task(20)
    def authenticate(self) -> None:
        wanted = self._claim()
        with self._measured(AUTHENTICATE) as outcome:
            reply = self._auth.Authenticate(wanted.request, metadata=self._metadata, timeout=10)
            outcome["response"], outcome["length"] = reply, reply.ByteSize()
            _check(wanted, reply)

    @task(1)
    def authenticate_stream(self) -> None:
        claims = {f"item-{i}": self._claim() for i in range(_SHARED.batch)}
        sent: dict[str, float] = {}

        def requests() -> Iterator[authentication_pb2.AuthenticateStreamRequest]:
            ids = list(claims)
            for start in range(0, len(ids), _STREAM_CHUNK):
                chunk = ids[start : start + _STREAM_CHUNK]
                now = time.perf_counter()
                for item_id in chunk:
                    sent[item_id] = now
                yield authentication_pb2.AuthenticateStreamRequest(
                    items=[authentication_pb2.AuthenticateItem(item_id=i, request=claims[i].request) for i in chunk]
                )

        def answers() -> Iterator[authentication_pb2.AuthenticateItemResult]:
            for reply in self._auth.AuthenticateStream(requests(), metadata=self._metadata, timeout=60):
                yield from reply.results

        answered = set()
        fire = self.environment.events.request.fire
        with self._measured(AUTHENTICATE_STREAM) as outcome:
            for answer in answers():
                exception: Exception | None = None
                wanted = claims[answer.item_id]
                if answer.WhichOneof("result") == "error":
                    exception = WrongAnswer(f"item error {answer.error.code}: {answer.error.message}")
                else:
                    try:
                        _check(wanted, answer.response)
                    except WrongAnswer as exc:
                        exception = exc
                answered.add(answer.item_id)
                fire(
                    request_type="grpc",
                    name=STREAM_ITEM,
                    response_time=(time.perf_counter() - sent[answer.item_id]) * 1000,
                    response_length=answer.ByteSize(),
                    response=answer,
                    context={},
                    exception=exception,
                )
            outcome["length"] = len(answered)
            if len(answered) != len(claims):
                raise WrongAnswer(f"{len(claims) - len(answered)} of {len(claims)} items not answered")

    @task(2)
    def enrol(self) -> None:
        with _SHARED.lock:
            demographics = _SHARED.enrol_pool[next(_SHARED.enrol_next) % len(_SHARED.enrol_pool)]
        request = enrol_request(f"locust-{uuid.uuid4().hex}", demographics)
        with self._measured(ENROL) as outcome:
            reply = self._registry.Enrol(request, metadata=self._metadata, timeout=10)
            outcome["response"], outcome["length"] = reply, reply.ByteSize()
            _check_enrolment(reply)


def _check_enrolment(reply: registry_pb2.EnrolResponse) -> None:
    """Every outcome the desk can be given, complete: the pool's persons are distinct, but the
    1:N search may rightly hold one that resembles a registered namesake (POSSIBLE_DUPLICATE)."""
    outcome = reply.outcome
    if outcome in (registry_pb2.ENROL_OUTCOME_ENROLLED, registry_pb2.ENROL_OUTCOME_ALREADY_ENROLLED):
        if not reply.person.idcs:
            raise WrongAnswer("enrolled without an IDCS")
    elif outcome == registry_pb2.ENROL_OUTCOME_DUPLICATE:
        if not reply.matches or not reply.matches[0].idcs:
            raise WrongAnswer("DUPLICATE without the registered IDCS")
    elif outcome == registry_pb2.ENROL_OUTCOME_POSSIBLE_DUPLICATE:
        if not reply.review_id:
            raise WrongAnswer("POSSIBLE_DUPLICATE without a review")
    else:
        raise WrongAnswer(f"enrolment outcome {outcome} is not one of the API's")


def _check(wanted: Claim, reply: authentication_pb2.AuthenticateResponse) -> None:
    if reply.decision != wanted.expected:
        raise WrongAnswer(
            f"{wanted.kind} claim answered {authentication_pb2.Decision.Name(reply.decision)}, expected "
            f"{authentication_pb2.Decision.Name(wanted.expected)}"
        )
