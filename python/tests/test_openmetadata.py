"""Unit tests of the connector's pure parts: connectionOptions -> dynameta workflow.

    PYTHONPATH=python $DYNAMETA_OM_PYTHON -m unittest discover -s python/tests

(run by crates/dynameta/tests/it/om_connector.rs with OpenMetadata's venv).
"""

from __future__ import annotations

import json
import os
import random
import string
import unittest

from metadata.generated.schema.entity.services.connections.database.customDatabaseConnection import (
    CustomDatabaseConnection,
)

from dynameta import BinaryNotFound, find_dynameta_bin
from dynameta.openmetadata import (
    SECRET_KEYS,
    DynametaConfigError,
    RunSpec,
    _typed,
    _user_key,
    build_mark_deleted_spec,
    build_run_spec,
)


def connection(**options: str) -> CustomDatabaseConnection:
    return CustomDatabaseConnection.model_validate(
        {
            "type": "CustomDatabase",
            "sourcePythonClass": "dynameta.openmetadata.DynamoDBSource",
            "connectionOptions": options,
        }
    )


class BuildRunSpec(unittest.TestCase):
    def test_secrets_go_to_the_environment_never_into_the_workflow(self) -> None:
        rng = random.Random(7)
        for _ in range(200):
            secrets = {k: "".join(rng.choices(string.ascii_letters + "/+=", k=40)) for k in SECRET_KEYS}
            spec = build_run_spec("svc", connection(awsRegion="eu-west-1", **secrets), None, "/tmp/o.jsonl")
            text = json.dumps(spec.workflow)
            for key, value in secrets.items():
                self.assertNotIn(value, text)
                ref = spec.workflow["source"]["serviceConnection"]["config"]["awsConfig"][key]
                self.assertRegex(ref, r"^\$\{DYNAMETA_OM_[A-Z_]+\}$")
                self.assertEqual(spec.env[ref[2:-1]], value)

    def test_environment_references_are_left_for_dynameta(self) -> None:
        spec = build_run_spec(
            "svc",
            connection(awsRegion="us-east-1", awsSecretAccessKey="${MY_SECRET}", awsAccessKeyId="${MY_KEY}"),
            None,
            "/tmp/o.jsonl",
        )
        aws = spec.workflow["source"]["serviceConnection"]["config"]["awsConfig"]
        self.assertEqual(aws["awsSecretAccessKey"], "${MY_SECRET}")
        self.assertEqual(spec.env, {})

    def test_options_are_sorted_into_aws_config_and_connection_arguments(self) -> None:
        spec = build_run_spec(
            "svc",
            connection(
                awsRegion="us-east-1",
                assumeRoleArn="arn:aws:iam::1:role/r",
                sampleSize="200",
                connectTimeoutSeconds="2.5",
                maskSensitiveSampleData="true",
                stsEndpointUrl="http://sts",
                databaseName="prod",
                allowEmpty="true",
            ),
            {"type": "DatabaseMetadata", "tableFilterPattern": {"includes": ["a.*"]}},
            "/tmp/o.jsonl",
        )
        config = spec.workflow["source"]["serviceConnection"]["config"]
        self.assertEqual(config["awsConfig"], {"awsRegion": "us-east-1", "assumeRoleArn": "arn:aws:iam::1:role/r"})
        self.assertEqual(
            config["connectionArguments"],
            {"sampleSize": 200, "connectTimeoutSeconds": 2.5, "maskSensitiveSampleData": True, "stsEndpointUrl": "http://sts"},
        )
        self.assertEqual(config["databaseName"], "prod")
        self.assertTrue(spec.allow_empty)
        self.assertEqual(
            spec.workflow["source"]["sourceConfig"]["config"]["tableFilterPattern"], {"includes": ["a.*"]}
        )
        self.assertEqual(spec.workflow["sink"], {"type": "file", "config": {"filename": "/tmp/o.jsonl"}})

    def test_missing_region_and_misspelt_keys_name_the_option(self) -> None:
        with self.assertRaisesRegex(DynametaConfigError, r"connectionOptions\.awsRegion: required"):
            build_run_spec("svc", connection(sampleSize="1"), None, "/tmp/o")
        with self.assertRaisesRegex(DynametaConfigError, r"connectionOptions\.awsSecretAcessKey: unknown option\. Did you mean awsSecretAccessKey\?"):
            build_run_spec("svc", connection(awsRegion="x", awsSecretAcessKey="s3cr3t-value"), None, "/tmp/o")
        with self.assertRaisesRegex(DynametaConfigError, r"allowEmpty"):
            build_run_spec("svc", connection(awsRegion="x", allowEmpty="maybe"), None, "/tmp/o")

    def test_a_misspelt_secret_key_is_not_echoed(self) -> None:
        try:
            build_run_spec("svc", connection(awsRegion="x", awsSecretAcessKey="s3cr3t-value"), None, "/tmp/o")
        except DynametaConfigError as err:
            self.assertNotIn("s3cr3t-value", str(err))


class Typed(unittest.TestCase):
    def test_numbers_booleans_and_text(self) -> None:
        rng = random.Random(11)
        for _ in range(500):
            n = rng.randint(-(10**12), 10**12)
            self.assertEqual(_typed(str(n)), n)
            f = rng.uniform(-1e6, 1e6)
            self.assertAlmostEqual(_typed(repr(f)), f)
        self.assertIs(_typed("TRUE"), True)
        self.assertIs(_typed("false"), False)
        for text in ("http://x", "1.2.3", "", "abc", "0x10"):
            self.assertEqual(_typed(text), text)


class Keys(unittest.TestCase):
    def test_dynameta_keys_become_the_users(self) -> None:
        self.assertEqual(_user_key("source.serviceConnection.config.connectionArguments.sampleSize"), "connectionOptions.sampleSize")
        self.assertEqual(_user_key("source.serviceConnection.config.awsConfig.endPointURL"), "connectionOptions.endPointURL")
        self.assertEqual(_user_key("source.sourceConfig.config.threads"), "sourceConfig.config.threads")
        self.assertEqual(_user_key("sink.config"), "sink.config")


class FindBinary(unittest.TestCase):
    def test_dynameta_bin_wins_and_a_bad_one_is_an_error(self) -> None:
        saved = os.environ.get("DYNAMETA_BIN")
        try:
            os.environ["DYNAMETA_BIN"] = "/nonexistent/dynameta"
            with self.assertRaisesRegex(BinaryNotFound, "DYNAMETA_BIN"):
                find_dynameta_bin()
        finally:
            if saved is None:
                os.environ.pop("DYNAMETA_BIN", None)
            else:
                os.environ["DYNAMETA_BIN"] = saved



class _Secret:
    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value


class _Security:
    def __init__(self, token: _Secret) -> None:
        self.jwtToken = token


class _ServerConfig:
    def __init__(self, token: _Secret | None) -> None:
        self.hostPort = "http://om.example:8585/api"
        self.securityConfig = _Security(token) if token is not None else None
        self.verifySSL = None
        self.sslConfig = None


class MarkDeletedSpec(unittest.TestCase):
    def spec(self, **options: str) -> RunSpec:
        return build_run_spec("svc", connection(awsRegion="eu-west-1", **options), None, "/tmp/o.jsonl")

    def test_the_token_goes_to_the_environment_and_the_sink_to_openmetadata(self) -> None:
        token = "eyJ" + "".join(random.Random(3).choices(string.ascii_letters, k=60))
        spec = build_mark_deleted_spec(self.spec(allowMassDelete="true"), _ServerConfig(_Secret(token)))
        assert spec is not None
        text = json.dumps(spec.workflow)
        self.assertNotIn(token, text)
        self.assertEqual(spec.workflow["sink"], {"type": "metadata-rest", "config": {}})
        server = spec.workflow["workflowConfig"]["openMetadataServerConfig"]
        self.assertEqual(server["hostPort"], "http://om.example:8585/api")
        self.assertEqual(server["securityConfig"]["jwtToken"], "${DYNAMETA_OM_JWT}")
        self.assertEqual(spec.env["DYNAMETA_OM_JWT"], token)
        self.assertTrue(spec.allow_mass_delete)
        # The same source (filters, markDeletedTables) as the ingest run.
        self.assertEqual(spec.workflow["source"], self.spec(allowMassDelete="true").workflow["source"])

    def test_no_jwt_means_it_cannot_be_honoured(self) -> None:
        self.assertIsNone(build_mark_deleted_spec(self.spec(), _ServerConfig(None)))
        self.assertIsNone(build_mark_deleted_spec(self.spec(), _ServerConfig(_Secret(""))))

    def test_allow_mass_delete_is_a_boolean_option(self) -> None:
        self.assertFalse(self.spec().allow_mass_delete)
        with self.assertRaises(DynametaConfigError):
            self.spec(allowMassDelete="sometimes")


if __name__ == "__main__":
    unittest.main()
