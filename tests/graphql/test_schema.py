"""The published SDL is current and self-documenting."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from app.graphql.schema import build_schema, sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "graphql" / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), "run `make schema` and commit schema/graphql/"


def test_every_type_and_field_has_a_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            missing += [f"{name}.{f}" for f, d in graphql_type.fields.items() if not d.description]
        if isinstance(graphql_type, GraphQLEnumType):
            continue
    assert missing == []


def test_user_has_one_field_per_builtin_attribute() -> None:
    user = build_schema()._schema.type_map["User"]
    assert isinstance(user, GraphQLObjectType)
    builtin = [
        "loginId",
        "firstName",
        "lastName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "email",
        "secondEmail",
        "displayName",
        "nickName",
        "title",
        "profileUrl",
        "mobilePhone",
        "primaryPhone",
        "streetAddress",
        "city",
        "state",
        "zipCode",
        "countryCode",
        "postalAddress",
        "preferredLanguage",
        "locale",
        "timezone",
        "userType",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "managerId",
        "manager",
    ]
    assert [f for f in builtin if f not in user.fields] == []
