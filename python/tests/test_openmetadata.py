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
    _typed,
    _user_key,
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


if __name__ == "__main__":
    unittest.main()
