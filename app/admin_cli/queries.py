"""The GraphQL documents of the admin commands (parsed by gql only when a command runs)."""

from __future__ import annotations

USER_ROW = """
  id databaseId loginId email firstName lastName displayName status authProvider externalId
  createdAt updatedAt lastProvisionedAt
"""

USERS = (
    """
query Users($filter: UserFilter, $first: Int, $after: String) {
  users(filter: $filter, orderBy: {field: LOGIN_ID, direction: ASC}, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {"""
    + USER_ROW
    + """}
  }
}
"""
)

USER = (
    """
query User($loginId: String!) {
  user(loginId: $loginId) {"""
    + USER_ROW
    + """
    statusReason notes version roles effectiveRoles lockedFields
    groups(first: 100) { totalCount nodes { displayName } }
    profile { name value }
  }
}
"""
)

GROUPS = """
query Groups($first: Int, $after: String) {
  groups(orderBy: {field: DISPLAY_NAME, direction: ASC}, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id databaseId displayName externalId authProvider memberCount roles createdAt updatedAt
      lastProvisionedAt
    }
  }
}
"""

PROVISIONING = """
query Provisioning {
  provisioning {
    enabled
    scimBaseUrl
    stats {
      usersByProvider { authProvider count }
      groupsByProvider { authProvider count }
      requestsLast24h errorsLast24h lastRequestAt
    }
    tokens { id name hint state createdBy createdAt expiresAt revokedAt lastUsedAt }
  }
}
"""

EVENT_FIELDS = """
  id: databaseId at tokenId method resourceType resourceId resourceNodeId externalId outcome
  statusCode errorDetail durationMs requestId
"""

EVENTS = (
    """
query Events($first: Int, $after: String) {
  provisioning {
    events(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + EVENT_FIELDS
    + """}
    }
  }
}
"""
)

EVENTS_SINCE = (
    """
query EventsSince($filter: ProvisioningEventFilter, $first: Int, $after: String) {
  provisioning {
    events(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + EVENT_FIELDS
    + """}
    }
  }
}
"""
)

FOLLOW_EVENTS = (
    """
subscription FollowEvents {
  provisioningEvents {"""
    + EVENT_FIELDS
    + """}
}
"""
)

VIEWER = "query Viewer { viewer { loginId } }"
