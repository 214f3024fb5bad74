@sender
Feature: The response deadline — an attempt not answered in time is aborted
  DevRev aborts an invocation that returns no response within 3 seconds and
  counts it as failed; it is then retried on the usual schedule
  (docs/protocol.md §1.2). `revhook serve --timeout` sets the deadline, and
  `--time-scale` scales it unless --timeout is given. Here the deadline is
  shortened to 100 ms of real time so the scenario runs fast; the retry
  schedule still runs on the manual clock.

  Scenario: the response deadline is 3 seconds unless configured
    Then the mock's default response deadline is 3 seconds

  Scenario: an event attempt not answered within the deadline is aborted and retried
    Given the response deadline is 100 ms
    And a receiver that echoes verify challenges and acknowledges events
    And an active webhook subscribed to "work_created"
    And the receiver never answers events
    When a "work_created" event is triggered
    Then the receiver's first "work_created" request was abandoned by the mock
    And the delivery log shows attempt 1 of the event failed with no status
    When the receiver acknowledges events again
    And 30 seconds pass
    Then the attempts of the event arrived at 0s and 30s after it was triggered
    And the delivery log shows the event delivered at attempt 2

  Scenario: a verify answer later than the deadline does not count
    Given the response deadline is 100 ms
    And a receiver that echoes verify challenges and acknowledges events
    And the receiver never answers verify requests
    When a webhook subscribed to "work_created" is created for the receiver
    Then the receiver's first verify request was abandoned by the mock
    And the webhook is "unverified"
    And the delivery log shows failed verify attempts saying "timeout"
