<%@ Page Language="C#" %>
<%@ Import Namespace="System.Web.Configuration" %>
<%-- Synthetic benign look-alike for Firebreak: an administrator's page that
     reports how the machine key is configured through the public
     configuration API, without printing the keys. --%>
<script runat="server">
    void Page_Load()
    {
        var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");
        bool autoValidation = mk.ValidationKey.StartsWith("AutoGenerate");
        bool autoDecryption = mk.DecryptionKey.StartsWith("AutoGenerate");
        Response.Write("Validation: " + mk.Validation + "<br/>");
        Response.Write("ValidationKey auto-generated: " + autoValidation + "<br/>");
        Response.Write("DecryptionKey auto-generated: " + autoDecryption + "<br/>");
        Response.Write("Compatibility: " + mk.CompatibilityMode);
    }
</script>
