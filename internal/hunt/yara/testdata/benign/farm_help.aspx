<%@ Page Language="C#" Inherits="Microsoft.SharePoint.WebControls.LayoutsPageBase" %>
<%@ Import Namespace="Microsoft.SharePoint" %>
<%-- Synthetic benign look-alike for Firebreak: a help page that tells the
     administrator to run PowerShell (and mentions cmd.exe) and reads a
     request parameter, but starts no process. --%>
<script runat="server">
    protected void Page_Load(object sender, EventArgs e)
    {
        string topic = Request.QueryString["topic"] ?? "keys";
        Topic.Text = SPHttpUtility.HtmlEncode(topic);
    }
</script>
<html><body>
<h1>Rotating the machine keys: <asp:Literal ID="Topic" runat="server" /></h1>
<p>Open the SharePoint Management Shell (PowerShell), or cmd.exe as an
administrator, and run <code>Update-SPMachineKey -WebApplication https://portal</code>,
then <code>Set-SPMachineKey</code> and <code>iisreset.exe</code>. The timer job
Start-SPTimerJob "job-delete-expired-sessions" can be run at any time.</p>
</body></html>
