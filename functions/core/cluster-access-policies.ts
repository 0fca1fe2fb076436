/**
 * The EKS cluster access policies the service grants its automation role, as
 * AssociateAccessPolicy names them. The associations and migration workflows grant from the same
 * set, so they are named once here.
 */
export const CLUSTER_ADMIN_POLICY =
  'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
export const EDIT_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy';
/** Read-only access to Kubernetes objects, enough to list service accounts and pods. */
export const VIEW_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
