@sender
Feature: Registration and verification — what the mock DevRev does after webhooks.create
  These scenarios describe the mock sender (`revhook serve`), not a receiver.
  They drive the mock on a manual clock against a scripted receiver, so the
  3-minute verify window passes in milliseconds, exactly.

  webhooks.create answers 201 with the webhook in status "unverified" and its
  secret. The mock then POSTs a signed `verify` event carrying a challenge and
  retries it (every 30 s, a setting) until 3 minutes after the create request.
  An answer of 200 with {"challenge": <the same>} makes the webhook "active";
  otherwise it stays "unverified" and receives no object events
  (docs/protocol.md §1.3).

  Background:
    Given a receiver that echoes verify challenges and acknowledges events

  Scenario: a receiver that echoes the challenge becomes active at once
    When a webhook subscribed to "work_created" is created for the receiver
    Then the webhooks.create answer is 201 with status "unverified" and a secret
    And the receiver got verify requests at 0s after the create request
    And every request the receiver got is signed with the webhook's secret
    And the webhook is "active"
    And the delivery log shows the webhook going unverified -> active

  Scenario: a receiver that never echoes stays unverified and gets no object events
    Given the receiver answers verify requests with 500
    When a webhook subscribed to "work_created" is created for the receiver
    And 10 minutes pass
    Then the receiver got verify requests at 0s, 30s, 1m0s, 1m30s, 2m0s and 2m30s after the create request
    And the webhook is "unverified"
    And the delivery log notes "stays unverified"
    When a "work_created" event is triggered
    Then the trigger reached no webhook
    And the receiver got no "work_created" event

  Scenario: echoing a different challenge is not a verification
    Given the receiver answers verify requests with the wrong challenge
    When a webhook subscribed to "work_created" is created for the receiver
    And 3 minutes pass
    Then the webhook is "unverified"
    And the delivery log shows failed verify attempts saying "different challenge"

  Scenario: an endpoint that starts echoing within the window is verified then
    Given the receiver answers verify requests with 503
    When a webhook subscribed to "work_created" is created for the receiver
    And 1 minute passes
    Then the webhook is "unverified"
    When the receiver echoes verify challenges again
    And 30 seconds pass
    Then the receiver got verify requests at 0s, 30s, 1m0s and 1m30s after the create request
    And the webhook is "active"

  Scenario: each verify retry is a new invocation with its own timestamp and signature
    Given the receiver answers verify requests with 500
    When a webhook subscribed to "work_created" is created for the receiver
    And 1 minute passes
    Then the receiver got 3 verify requests of one verify event, each with its own timestamp and a valid signature

  Scenario: with same bytes on retry, verify retries re-send the first attempt's bytes
    Given the mock re-sends the same bytes on retries
    And the receiver answers verify requests with 500
    When a webhook subscribed to "work_created" is created for the receiver
    And 1 minute passes
    Then the receiver got 3 "verify" events with the same id and body
