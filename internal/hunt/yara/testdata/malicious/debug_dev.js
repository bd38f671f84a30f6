// Synthetic test sample for Firebreak: machine keys saved in the format the
// ToolShell web shell prints. The keys are random test values.
var k = "3F1A9C22B7D04E8F6A51C0D9E2B7F4A18C3D5E6F7A8B9C0D1E2F3A4B5C6D7E8F|HMACSHA256|9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C8D7E6F|Auto|Framework20SP1";
