"""Validates a switchyard caps report against docs/schema/caps.schema.json.

usage: validate_report.py REPORT.json SCHEMA.json
"""
import json
import sys

import jsonschema

report, schema = (json.load(open(path)) for path in sys.argv[1:3])
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)
print(f"{sys.argv[1]}: valid against {sys.argv[2]}")
