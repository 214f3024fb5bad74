// Package action tests the revhook GitHub Action (action.yml at the
// repository root): its test runs run.sh, the action's shell steps, against
// the reference and a faulty receiver with GitHub's environment files
// pointed at temporary files.
package action
