// Synthetic benign look-alike for Firebreak: client-side script that makes
// requests and evaluates a response, as old SharePoint scripts do.
function loadStatus(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url + "?cmd=status", true);
    xhr.onreadystatechange = function () {
        if (xhr.readyState === 4) { done(eval("(" + xhr.responseText + ")")); }
    };
    xhr.send();
}
var shell = { name: "WScript.Shell", note: "cmd.exe and powershell are not used here", start: "Process.Start" };
