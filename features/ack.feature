Feature: Acknowledgement — every valid event gets a 2xx, quickly
  DevRev counts a delivery as successful only when the endpoint answers with
  a 2xx status within 3 seconds (revhook check --timeout changes the
  deadline). Anything else — another status, a closed connection, silence —
  is a failure: DevRev retries the event after 30 seconds and 3 minutes, and
  a webhook that keeps failing is degraded and stops receiving events. A
  receiver should therefore acknowledge first and process afterwards, and
  acknowledge every event type, including the ones it ignores.

  Rule: ACK-01 MUST — A valid event is acknowledged within 3 s
    A valid event is acknowledged with 2xx within 3 s.

    @ACK-01 @must
    Scenario: a valid event is acknowledged within the deadline
      ACK-01 judges the time of the answer; a refusal is SIG-01's, and other
      event types are ACK-03's.

      When I send a correctly signed work_created event
      Then the receiver acknowledges it with 2xx within the deadline

  Rule: ACK-02 MUST — A burst of concurrent deliveries is acknowledged within 3 s
    Under a burst of concurrent deliveries every one is acknowledged within
    3 s.

    @ACK-02 @must
    Scenario: a burst of 50 concurrent deliveries is acknowledged within the deadline
      DevRev delivers events concurrently: a change to many work items at once
      arrives as many simultaneous requests.

      Given the receiver accepts a correctly signed work_created event
      When I send 50 correctly signed work_created events at the same time
      Then the receiver acknowledges every one with 2xx within the deadline

  Rule: ACK-03 MUST — Every catalogue event type is acknowledged
    Every subscribed event type in the catalogue is acknowledged.

    @ACK-03 @must
    Scenario: one event of every type in the catalogue is acknowledged
      The catalogue is DevRev's list of event types (revhook catalog prints
      it). A webhook subscribed to a type receives it whether or not the
      receiver's code does anything with it. The verify event, answered with
      its challenge rather than acknowledged, is checked by the VER
      requirements.

      Given the receiver accepts a correctly signed work_created event
      When I send one correctly signed event of every type in the catalogue but verify
      Then the receiver acknowledges every one with 2xx within the deadline
