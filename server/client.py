"""``hawiya client``: call a running hawiya server from the command line."""

from __future__ import annotations

import argparse
import re
import sys
import uuid

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from hawiya.v1 import (
    authentication_pb2,
    authentication_pb2_grpc,
    deduplication_pb2,
    deduplication_pb2_grpc,
    person_pb2,
    registry_pb2,
    registry_pb2_grpc,
)

__all__ = ["add_client_commands", "parse_birth_date"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SEX = {"M": person_pb2.SEX_MALE, "F": person_pb2.SEX_FEMALE}


def parse_birth_date(text: str) -> person_pb2.BirthDate:
    """YYYY, YYYY-MM or YYYY-MM-DD, with the matching precision."""
    match = _DATE.match(text)
    if not match:
        raise argparse.ArgumentTypeError("--birth-date must be YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else 0 for g in match.groups())
    precision = (
        person_pb2.DATE_PRECISION_FULL
        if day
        else person_pb2.DATE_PRECISION_YEAR_MONTH
        if month
        else person_pb2.DATE_PRECISION_YEAR
    )
    return person_pb2.BirthDate(year=year, month=month, day=day, precision=precision)


def _demographics(ns: argparse.Namespace) -> person_pb2.Demographics:
    d = person_pb2.Demographics(
        first_name=person_pb2.PersonName(latin=ns.first_name or "", arabic=ns.first_name_arabic or ""),
        last_name=person_pb2.PersonName(latin=ns.last_name or "", arabic=ns.last_name_arabic or ""),
        father_first_name=person_pb2.PersonName(latin=ns.father_first_name or ""),
        mother_first_name=person_pb2.PersonName(latin=ns.mother_first_name or ""),
        sex=_SEX.get(ns.sex or "", person_pb2.SEX_UNSPECIFIED),
        birth_place_code=ns.birth_place_code or "",
        cin=ns.cin or "",
        phone=ns.phone or "",
    )
    if ns.birth_date is not None:
        d.birth_date.CopyFrom(ns.birth_date)
    return d


def _print(message: object) -> None:
    print(json_format.MessageToJson(message, preserving_proto_field_name=True, indent=2))


def _report_error(err: grpc.RpcError) -> int:
    code = err.code()
    text = f"hawiya client: {code.name}: {err.details()}"
    status = rpc_status.from_call(err)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields = ", ".join(v.field for v in bad.field_violations)
                text += f" (field: {fields})"
    print(text, file=sys.stderr)
    return 1


def _run(ns: argparse.Namespace) -> int:
    metadata = (("x-api-key", ns.api_key),) if ns.api_key else ()
    with grpc.insecure_channel(ns.target) as channel:
        try:
            if ns.client_command == "health":
                stub = health_pb2_grpc.HealthStub(channel)
                reply = stub.Check(health_pb2.HealthCheckRequest(service=ns.service), timeout=ns.timeout)
                print(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
                return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
            if ns.client_command == "authenticate":
                auth = authentication_pb2_grpc.AuthenticationStub(channel)
                request = authentication_pb2.AuthenticateRequest(idcs=ns.idcs, claimed=_demographics(ns))
                _print(auth.Authenticate(request, metadata=metadata, timeout=ns.timeout))
                return 0
            if ns.client_command.startswith("dedup-"):
                return _dedup(ns, deduplication_pb2_grpc.DeduplicationStub(channel), metadata)
            registry = registry_pb2_grpc.RegistryStub(channel)
            if ns.client_command == "enrol":
                request = registry_pb2.EnrolRequest(
                    idempotency_key=ns.idempotency_key or uuid.uuid4().hex, demographics=_demographics(ns)
                )
                _print(registry.Enrol(request, metadata=metadata, timeout=ns.timeout))
                return 0
            reply = registry.GetPerson(
                registry_pb2.GetPersonRequest(idcs=ns.idcs, version=ns.version), metadata=metadata, timeout=ns.timeout
            )
            _print(reply)
            return 0
        except grpc.RpcError as err:
            return _report_error(err)


def _dedup(
    ns: argparse.Namespace, stub: deduplication_pb2_grpc.DeduplicationStub, metadata: tuple[tuple[str, str], ...]
) -> int:
    """dedup-submit and dedup-status; with --wait, follow the job to its end (exit 0 if it SUCCEEDED)."""
    if ns.client_command == "dedup-submit":
        options = deduplication_pb2.DedupOptions(
            column_map=dict(ns.column_map), threshold=ns.threshold, model_path=ns.model_path, label=ns.label
        )
        request = deduplication_pb2.SubmitJobRequest(path=ns.path, options=options)
        job = stub.SubmitJob(request, metadata=metadata, timeout=ns.timeout).job
    else:
        job = stub.GetJob(deduplication_pb2.GetJobRequest(job_id=ns.job_id), metadata=metadata, timeout=ns.timeout).job
    if ns.wait:
        # The deadline bounds each update, not the job: the server sends one at least every 10 s.
        for update in stub.WatchJob(deduplication_pb2.WatchJobRequest(job_id=job.job_id), metadata=metadata):
            job = update.job
            state = deduplication_pb2.JobState.Name(job.state).removeprefix("JOB_STATE_")
            print(f"{state} {job.stage} {job.progress:.0%} {job.progress_message}".rstrip(), file=sys.stderr)
    _print(job)
    return 0 if not ns.wait or job.state == deduplication_pb2.JOB_STATE_SUCCEEDED else 1


def _column(text: str) -> tuple[str, str]:
    source, sep, target = text.partition("=")
    if not sep or not source or not target:
        raise argparse.ArgumentTypeError("--column must be FILE_COLUMN=REGISTER_COLUMN")
    return source, target


def _person_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--first-name", help="first name, Latin script")
    parser.add_argument("--first-name-arabic", help="first name, Arabic script")
    parser.add_argument("--last-name", help="last name, Latin script")
    parser.add_argument("--last-name-arabic", help="last name, Arabic script")
    parser.add_argument("--father-first-name", help="father's first name, Latin script")
    parser.add_argument("--mother-first-name", help="mother's first name, Latin script")
    parser.add_argument("--sex", choices=sorted(_SEX), help="M or F")
    parser.add_argument("--birth-date", type=parse_birth_date, help="YYYY, YYYY-MM or YYYY-MM-DD")
    parser.add_argument("--birth-place-code", help="province code of birth")
    parser.add_argument("--cin", help="national identity card number")
    parser.add_argument("--phone", help="mobile number, e.g. 0612345678")


def add_client_commands(subparsers: argparse._SubParsersAction) -> None:
    client = subparsers.add_parser("client", help="call a running hawiya server", description=__doc__)
    commands = client.add_subparsers(dest="client_command", required=True, metavar="CALL")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", default="127.0.0.1:50051", help="host:port of the server (default %(default)s)")
    common.add_argument("--api-key", help="the caller's API key (sent as x-api-key)")
    common.add_argument("--timeout", type=float, default=10.0, help="deadline in seconds (default %(default)s)")

    health_cmd = commands.add_parser("health", parents=[common], help="gRPC health check; exit 0 when SERVING")
    health_cmd.add_argument("--service", default="", help="service name (default: the whole server)")

    auth = commands.add_parser("authenticate", parents=[common], help="Authentication/Authenticate")
    auth.add_argument("--idcs", required=True, help="the IDCS to authenticate")
    _person_options(auth)

    enrol = commands.add_parser("enrol", parents=[common], help="Registry/Enrol")
    enrol.add_argument("--idempotency-key", help="default: a new random key")
    _person_options(enrol)

    get = commands.add_parser("get", parents=[common], help="Registry/GetPerson")
    get.add_argument("--idcs", required=True)
    get.add_argument("--version", type=int, default=0, help="0 for the latest")

    submit = commands.add_parser(
        "dedup-submit", parents=[common], help="Deduplication/SubmitJob: a file in the server's dedup input folder"
    )
    submit.add_argument("--path", required=True, help="the file, relative to HAWIYA_DEDUP_INPUT_DIR")
    submit.add_argument(
        "--column",
        dest="column_map",
        type=_column,
        action="append",
        default=[],
        metavar="FILE_COLUMN=REGISTER_COLUMN",
        help="rename a column of the file (repeatable), e.g. prenom=first_name_latin",
    )
    submit.add_argument("--threshold", type=float, default=0.0, help="match probability threshold (default: 0.5)")
    submit.add_argument("--model-path", default="", help="a saved model.json in the input folder (default: train)")
    submit.add_argument("--label", default="", help="a label shown with the job")
    submit.add_argument("--wait", action="store_true", help="follow the job's progress until it ends")

    status = commands.add_parser("dedup-status", parents=[common], help="Deduplication/GetJob (and WatchJob)")
    status.add_argument("--job-id", required=True)
    status.add_argument("--wait", action="store_true", help="follow the job's progress until it ends")
    client.set_defaults(handler=_run)
