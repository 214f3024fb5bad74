Feature: Ordering — events of one object may arrive in any order
  DevRev delivers events concurrently and only semi-ordered: the update of a
  work item can arrive before its creation, its deletion before its last
  update. The receiver must acknowledge them all; it can order them with
  their timestamps, or fetch the object's current state, but it must not
  fail a delivery because an earlier event has not arrived yet.

  Rule: ORD-01 MUST — Out-of-order events of one object are acknowledged
    Events of one object delivered out of order (update before create,
    delete before update) are acknowledged.

    @ORD-01 @must
    Scenario Outline: events of one work item arriving as <order> are acknowledged
      Given the receiver accepts a correctly signed work_created event
      When the events of one work item arrive in the order <order>
      Then the receiver acknowledges every one with 2xx

      Examples:
        | order                                  |
        | work_updated, work_created             |
        | work_deleted, work_updated             |
        | work_deleted, work_updated, work_created |
