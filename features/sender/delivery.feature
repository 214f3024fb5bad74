@sender
Feature: Delivering events — subscriptions, retries, the deadline, injected faults
  An active webhook receives the events whose type is in its event_types
  (verify always). An attempt fails unless answered 2xx within the deadline
  (3 s by default); a failed event is tried three times: at once, 30 s after
  the first failure and 3 min after the second (docs/protocol.md §1.2; the deadline
  has its own feature, deadline.feature). Triggers
  (POST /simulator/events) can ask for duplicates, reordering and dropped
  first attempts.

  Background:
    Given a receiver that echoes verify challenges and acknowledges events
    And an active webhook subscribed to "work_created, work_updated"

  Scenario: only subscribed event types are delivered
    When a "work_deleted" event is triggered
    Then the trigger reached no webhook
    When 2 "work_created" events are triggered
    And a "work_updated" event is triggered
    Then the receiver got 2 "work_created" events
    And the receiver got 1 "work_updated" event
    And the receiver got no "work_deleted" event
    And every request the receiver got is signed with the webhook's secret

  Scenario: a failing event is retried 30 seconds and then 3 minutes later, in order
    Given the receiver answers events with 500
    When a "work_created" event is triggered
    And 29 seconds pass
    Then the attempts of the event arrived at 0s after it was triggered
    When 1 second passes
    Then the attempts of the event arrived at 0s and 30s after it was triggered
    When 10 minutes pass
    Then the attempts of the event arrived at 0s, 30s and 3m30s after it was triggered
    And the delivery log shows attempts 1, 2 and 3 of the event, all failed
    And the delivery log notes "exhausted its 3 attempts"
    And the webhook is "active"

  Scenario: a retry that succeeds delivers the event and ends its retries
    Given the receiver answers events with 503
    When a "work_created" event is triggered
    And the receiver acknowledges events again
    And 10 minutes pass
    Then the attempts of the event arrived at 0s and 30s after it was triggered
    And the delivery log shows the event delivered at attempt 2

  Scenario: injected duplicates deliver the same event twice
    When a "work_created" event is triggered with duplicate_rate 1
    Then the receiver got 2 "work_created" events with the same id and body

  Scenario: a dropped first attempt never reaches the receiver and is retried
    When a "work_created" event is triggered with drop_first 1
    Then the receiver got no "work_created" event
    When 30 seconds pass
    Then the attempts of the event arrived at 30s after it was triggered
    And the delivery log shows the event delivered at attempt 2
