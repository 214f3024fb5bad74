@sender
Feature: Updating a webhook — re-verification, secrets, deactivate and activate
  webhooks.update with a new url or secret moves an active webhook back to
  "unverified" and verifies it again; an empty secret means "generate one".
  action "deactivate" makes it "inactive" (no deliveries at all); action
  "activate" starts verification again (docs/protocol.md §1.3, seed 003).

  Background:
    Given a receiver that echoes verify challenges and acknowledges events
    And an active webhook subscribed to "work_created"

  Scenario: a new url sends the webhook back to unverified and verifies the new url
    Given a second receiver that answers verify requests with 500
    When the webhook's url is changed to the second receiver
    Then the webhook is "unverified"
    And the second receiver got 1 verify request
    When a "work_created" event is triggered
    Then the trigger reached no webhook
    When the second receiver echoes verify challenges again
    And 30 seconds pass
    Then the webhook is "active"
    When a "work_created" event is triggered
    Then the second receiver got 1 "work_created" event
    And the receiver got no "work_created" event
    And the delivery log shows the webhook going unverified -> active -> unverified -> active

  Scenario: a rotated secret is verified and used from then on
    When the webhook's secret is changed to "rotated-secret-1"
    Then the webhook's secret is "rotated-secret-1"
    And the receiver's last verify request is signed with "rotated-secret-1"
    And the webhook is "active"
    When a "work_created" event is triggered
    Then the receiver got 1 "work_created" event
    And every request since the rotation is signed with "rotated-secret-1"

  Scenario: an empty secret generates a new one
    When the webhook's secret is changed to ""
    Then the webhook has a new secret of 32 characters
    And the receiver's last verify request is signed with the webhook's secret

  Scenario: a deactivated webhook gets nothing; activating it verifies it again
    When the webhook is deactivated
    Then the webhook is "inactive"
    When a "work_created" event is triggered
    Then the trigger reached no webhook
    And the receiver got no "work_created" event
    When the webhook is activated
    Then the receiver got 2 verify requests
    And the webhook is "active"
    When a "work_created" event is triggered
    Then the receiver got 1 "work_created" event
    And the delivery log shows the webhook going unverified -> active -> inactive -> unverified -> active

  Scenario: deactivating stops the retries of an event
    Given the receiver answers events with 500
    When a "work_created" event is triggered
    And the webhook is deactivated
    And 10 minutes pass
    Then the receiver got 1 "work_created" event
    And the delivery log notes "failed without further invocation"
