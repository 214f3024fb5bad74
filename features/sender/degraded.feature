@sender
Feature: Sustained failures — the degraded state and the way back
  When N consecutive events exhaust all their attempts (3 by default, a
  setting) the webhook becomes "degraded": queued events are failed without
  any invocation and verify requests are restarted periodically (every 60 s
  by default, a setting). A correct verify answer makes it "active" again
  (docs/protocol.md §1.2). Degraded is the sender's internal state, shown
  under /simulator/webhooks: DevRev's API (webhooks.get) only knows active,
  inactive and unverified, and shows a degraded webhook as "active".

  Background:
    Given a receiver that echoes verify challenges and acknowledges events

  Scenario: two exhausted events degrade the webhook; a good verify brings it back
    Given the mock degrades a webhook after 2 exhausted events and re-verifies every 60 seconds
    And an active webhook subscribed to "work_created"
    And the receiver answers events with 500
    And the receiver answers verify requests with 500
    When 2 "work_created" events exhaust their attempts one after another
    Then the webhook is "degraded" while webhooks.get shows "active"
    When a "work_created" event is triggered
    Then the trigger reached no webhook
    And the delivery log notes "failed without invocation"
    And the receiver got 6 "work_created" events
    When 60 seconds pass
    Then the receiver got 2 verify requests
    And the webhook is "degraded"
    When the receiver echoes verify challenges again
    And the receiver acknowledges events again
    And 60 seconds pass
    Then the receiver got 3 verify requests
    And the webhook is "active"
    When a "work_created" event is triggered
    Then the receiver got 7 "work_created" events
    And the delivery log shows the webhook going unverified -> active -> degraded -> active

  Scenario: a delivered event resets the count of exhausted events
    Given the mock degrades a webhook after 2 exhausted events and re-verifies every 60 seconds
    And an active webhook subscribed to "work_created"
    And the receiver answers events with 500
    When 1 "work_created" event exhausts its attempts
    And the receiver acknowledges events again
    And a "work_created" event is triggered
    And the receiver answers events with 500
    And 1 "work_created" event exhausts its attempts
    Then the webhook is "active"

  Scenario: events still waiting for a retry fail without invocation once degraded
    Given the mock degrades a webhook after 1 exhausted event and re-verifies every 60 seconds
    And an active webhook subscribed to "work_created"
    And the receiver answers events with 500
    And the receiver answers verify requests with 500
    When a "work_created" event is triggered
    And 1 minute passes
    And another "work_created" event is triggered
    And 3 minutes pass
    Then the webhook is "degraded"
    And the other event was attempted 2 times
    And the delivery log notes "failed without further invocation"
