// Package incident is Firebreak's domain: the types of the incident record,
// their validation, and the pure rules computed from them (reference
// numbers, blast radius). It imports nothing else from the project, so
// every other package can share these types.
package incident
